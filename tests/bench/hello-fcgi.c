/* The baseline of bench-api.sh: the least a libfcgi responder can do,
 * a fixed JSON answer per request, on the same accept loop as ours. */
#include <fcgiapp.h>

int
main(void)
{
	static const char reply[] = "Status: 200 OK\r\nContent-Type: application/json\r\n"
	    "Content-Length: 17\r\n\r\n{\"hello\":\"world\"}";
	FCGX_Request r;

	FCGX_Init();
	FCGX_InitRequest(&r, 0, 0);
	while (FCGX_Accept_r(&r) >= 0) {
		FCGX_PutStr(reply, sizeof(reply) - 1, r.out);
		FCGX_Finish_r(&r);
	}
	return 0;
}
