/*
 * qr.c: QR codes on the terminal, for carrying an enrollment request or
 * a certificate from one machine to another by camera.  The only
 * libqrencode user.
 */
#include <stdio.h>
#include <string.h>

#include <qrencode.h>

#include "cli/trust.h"
#include "common/err.h"

#define QR_MARGIN	2	/* quiet zone, in modules */

/* 1 when the module at (x, y) is light, margin included. */
static int
light(const QRcode *q, int x, int y)
{
	x -= QR_MARGIN;
	y -= QR_MARGIN;
	if (x < 0 || y < 0 || x >= q->width || y >= q->width)
		return 1;
	return !(q->data[y * q->width + x] & 1);
}

int
cli_qr_print(FILE *fp, const char *text)
{
	/* Two module rows per line; light modules are drawn, as a terminal
	 * usually shows light text on a dark background. */
	static const char *const cell[4] = { " ", "\xe2\x96\x84",
	    "\xe2\x96\x80", "\xe2\x96\x88" };	/* none, lower, upper, full */
	QRcode	*q;
	int	 x, y, w;

	if ((q = QRcode_encodeString8bit(text, 0, QR_ECLEVEL_L)) == NULL)
		return tly_fail(TLY_E_TOO_LARGE, "%zu bytes do not fit a QR "
		    "code", strlen(text));
	w = q->width + 2 * QR_MARGIN;
	for (y = 0; y < w; y += 2) {
		for (x = 0; x < w; x++)
			fputs(cell[2 * light(q, x, y) +
			    (y + 1 < w ? light(q, x, y + 1) : 0)], fp);
		fputc('\n', fp);
	}
	QRcode_free(q);
	return 0;
}
