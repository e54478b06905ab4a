/*
 * jsonInt.h: the JSON tree, shared by the scanner (json_scan.c) and the
 * accessors (json.c).  Private to common/json*.c.
 */
#ifndef TLY_JSON_INT_H
#define TLY_JSON_INT_H

#include <stddef.h>
#include <stdint.h>

/* Kinds of value. */
enum json_type {
	JSON_NULL,
	JSON_FALSE,
	JSON_TRUE,
	JSON_INT,		/* an integer 0..2^53-1: the only number */
	JSON_STRING,
	JSON_ARRAY,
	JSON_OBJECT
};

/*
 * One value.  All nodes and strings of a tree live in the one block that
 * the root starts, so tly_json_free() is a single free().
 */
struct tly_json {
	enum json_type	 type;		/* what this value is */
	const char	*name;		/* member name in an object, else NULL */
	const char	*str;		/* JSON_STRING: decoded, NUL-terminated */
	size_t		 len;		/* JSON_STRING: bytes; containers: count */
	uint64_t	 num;		/* JSON_INT: the exact value */
	struct tly_json	*child;		/* containers: first element or member */
	struct tly_json	*next;		/* next element or member, or NULL */
};

#endif /* TLY_JSON_INT_H */
