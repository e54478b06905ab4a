/*
 * fuzz_key.c: libFuzzer target for key files (PROTOCOL.md section 2):
 * the secret key file (plain; an encrypted one stops at "a passphrase
 * is needed"), the public key file, and a public key given as text (hex
 * or a file's line).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/crypto.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int	 init;
	struct tly_key	*key = NULL;
	uint8_t		 pk[TLY_PK_LEN];
	char		*text;

	if (!init) {
		tly_crypto_init();
		init = 1;
	}
	(void)tly_pubkey_parse_file(data, size, pk);
	if ((text = malloc(size + 1)) == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	/* Without a passphrase: deriving a key costs what the file asks. */
	if (tly_key_parse("fuzz", text, size, NULL, 0, &key) == 0 &&
	    key == NULL)
		abort();
	tly_key_free(key);
	(void)tly_pubkey_parse(text, pk);
	free(text);
	return 0;
}
