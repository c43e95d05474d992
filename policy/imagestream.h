/* imagestream.h - tag conventions: tags that embed a date. */
#ifndef POLICY_IMAGESTREAM_H
#define POLICY_IMAGESTREAM_H

/*
 * Whether tag embeds a date: YYYYMMDD (alone or leading a longer timestamp),
 * YYYY-MM-DD (or with '.' or '_'), or a month name next to a four-digit
 * year ("v2.0.1-may-2019", "2019may"). Years 1970 to 2099. Such a tag names
 * one revision forever, and default pruning never removes it.
 */
int imagestream_tag_is_dated(const char *tag);

#endif
