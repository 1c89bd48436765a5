/* fuzz_mp4: the MP4 reader (plain files: moov and its sample tables) and
 * the export engine on one segment (see fuzz_media.h). Seeds:
 * corpus/fuzz_mp4, cut from the fixtures. */
#include "fuzz_media.h"
