/* fuzz_fmp4: the fragmented-MP4 reader (mvex, moof/traf/trun) and the
 * export engine on one segment (see fuzz_media.h; the harness is
 * fuzz_mp4's, the seeds in corpus/fuzz_fmp4 are fragmented files). */
#include "fuzz_media.h"
