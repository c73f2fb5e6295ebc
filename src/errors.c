/*
 * errors.c - rf_strerror(): one message for every code the library returns.
 */
#include <string.h>

#include "ringfetch.h"

const char *rf_strerror(int err)
{
	switch (err) {
	case 0:
		return "success";
	case RF_EURL:
		return "malformed URL";
	case RF_ESCHEME:
		return "unsupported URL scheme";
	case RF_EDNS:
		return "could not resolve host";
	case RF_ECONNECT_TIMEOUT:
		return "connect timed out";
	case RF_EIDLE_TIMEOUT:
		return "timed out waiting for data";
	case RF_EMAX_TIME:
		return "maximum time for the transfer reached";
	case RF_EHTTP_STATUS:
		return "HTTP error status";
	case RF_EPROTO:
		return "malformed HTTP response";
	case RF_ETRUNCATED:
		return "connection closed before the body was complete";
	case RF_EHEADERS_TOO_BIG:
		return "response headers too large";
	case RF_ETOO_MANY_HEADERS:
		return "too many response header fields";
	case RF_EREDIRECT_LOOP:
		return "redirect loop";
	case RF_ETOO_MANY_REDIRECTS:
		return "too many redirects";
	case RF_EREDIRECT_LOCATION:
		return "bad redirect";
	case RF_ENOANSWER:
		return "connection closed without a response";
	case RF_EOUTPUT_NAME:
		return "refusing to write there";
	case RF_ECANCELED:
		return "canceled";
	case RF_EHEADER:
		return "invalid request header";
	case RF_EBODY_CALLBACK:
		return "body callback stopped the transfer";
	case RF_EINVAL:
		return "invalid argument";
	case RF_ETLS:
		return "TLS error";
	case RF_ETLS_VERIFY:
		return "TLS certificate verification failed";
	case RF_ETLS_CONFIG:
		return "TLS configuration error";
	case RF_ECHECKSUM:
		return "checksum mismatch";
	case RF_ERANGE:
		return "server answered a different range than asked";
	case RF_ECODING:
		return "response uses a transfer coding that was not asked for";
	case RF_EKERNEL:
		return "io_uring is not available or lacks what ringfetch needs";
	case RF_EPROXY:
		return "proxy error";
	case RF_EPROXY_AUTH:
		return "proxy authentication required (407)";
	case RF_ETOO_BIG:
		return "body larger than the size limit";
	case RF_EDECODE:
		return "compressed body does not decode";
	case RF_EHTTP2:
		return "HTTP/2 stream or session failed";
	default:
		if (err < 0 && err > -4096)
			return strerror(-err);
		return "unknown error";
	}
}
