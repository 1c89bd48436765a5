/* fuzz_ts: the MPEG-TS reader and the export engine on one segment
 * (see fuzz_media.h). Seeds: corpus/fuzz_ts, cut from the fixtures. */
#define FUZZ_MEDIA_TS
#include "fuzz_media.h"
