"""S3's errors: ``<Error><Code>..</Code><Message>..</Message><Resource>..</Resource>
<RequestId>..</RequestId></Error>`` with the status S3 gives each code."""

from __future__ import annotations

from typing import Any
from xml.sax.saxutils import escape

from starlette.datastructures import Headers

from nimbus.kernel.errors import CloudError

# code -> (status, message)
CODES: dict[str, tuple[int, str]] = {
    "AccessDenied": (403, "Access Denied"),
    "BadDigest": (400, "The Content-MD5 you specified did not match what we received."),
    "BucketAlreadyExists": (409, "The requested bucket name is not available."),
    "BucketAlreadyOwnedByYou": (409, "Your previous request to create the named bucket "
                                "succeeded and you already own it."),
    "BucketNotEmpty": (409, "The bucket you tried to delete is not empty"),
    "EntityTooLarge": (400, "Your proposed upload exceeds the maximum allowed object size."),
    "EntityTooSmall": (400, "Your proposed upload is smaller than the minimum allowed "
                       "object size."),
    "IncompleteBody": (400, "You did not provide the number of bytes specified by the "
                       "Content-Length HTTP header."),
    "InternalError": (500, "We encountered an internal error. Please try again."),
    "InvalidAccessKeyId": (403, "The AWS Access Key Id you provided does not exist in our "
                           "records."),
    "InvalidArgument": (400, "Invalid Argument"),
    "InvalidBucketName": (400, "The specified bucket is not valid."),
    "InvalidDigest": (400, "The Content-MD5 you specified is not valid."),
    "InvalidPart": (400, "One or more of the specified parts could not be found."),
    "InvalidPartOrder": (400, "The list of parts was not in ascending order."),
    "InvalidRange": (416, "The requested range is not satisfiable"),
    "InvalidRequest": (400, "Invalid Request"),
    "MalformedXML": (400, "The XML you provided was not well-formed or did not validate "
                     "against our published schema."),
    "MethodNotAllowed": (405, "The specified method is not allowed against this resource."),
    "MissingContentLength": (411, "You must provide the Content-Length HTTP header."),
    "NoSuchBucket": (404, "The specified bucket does not exist"),
    "NoSuchBucketPolicy": (404, "The bucket policy does not exist"),
    "NoSuchCORSConfiguration": (404, "The CORS configuration does not exist"),
    "NoSuchKey": (404, "The specified key does not exist."),
    "NoSuchTagSet": (404, "The TagSet does not exist"),
    "NoSuchUpload": (404, "The specified upload does not exist. The upload ID may be "
                     "invalid, or the upload may have been aborted or completed."),
    "NotImplemented": (501, "A header you provided implies functionality that is not "
                       "implemented."),
    "PreconditionFailed": (412, "At least one of the preconditions you specified did not "
                           "hold."),
    "RequestTimeTooSkewed": (403, "The difference between the request time and the current "
                             "time is too large."),
    "SignatureDoesNotMatch": (403, "The request signature we calculated does not match the "
                              "signature you provided. Check your key and signing method."),
    "XAmzContentSHA256Mismatch": (400, "The provided 'x-amz-content-sha256' header does "
                                  "not match what was computed."),
}
BY_STATUS = {400: "InvalidRequest", 401: "AccessDenied", 403: "AccessDenied",
             404: "NoSuchKey", 405: "MethodNotAllowed", 409: "InvalidRequest",
             411: "MissingContentLength", 412: "PreconditionFailed", 413: "EntityTooLarge",
             416: "InvalidRange", 501: "NotImplemented"}


class S3Error(CloudError):
    def __init__(self, code: str, message: str | None = None, **extra: str) -> None:
        status, default = CODES.get(code, (400, code))
        self.code = code
        self.resource = ""
        self.extra = extra
        super().__init__(message or default, status=status)


def s3_fault(err: CloudError) -> dict[str, Any]:
    """The JSON the kernel's fallbacks render (unknown paths): the code and message."""
    return {"Error": {"Code": getattr(err, "code", BY_STATUS.get(err.status, "InternalError")),
                      "Message": err.message}}


def error_xml(code: str, message: str, resource: str, request_id: str,
              extra: dict[str, str] | None = None) -> bytes:
    more = "".join(f"<{k}>{escape(v)}</{k}>" for k, v in (extra or {}).items())
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            f"<Error><Code>{code}</Code><Message>{escape(message)}</Message>{more}"
            f"<Resource>{escape(resource)}</Resource><RequestId>{request_id}</RequestId>"
            "</Error>").encode()


def s3_fault_response(err: CloudError, _headers: Headers) -> tuple[bytes, str]:
    code = getattr(err, "code", None) or BY_STATUS.get(err.status, "InternalError")
    message = err.message if isinstance(err, S3Error) else CODES.get(code, (0, err.message))[1]
    return error_xml(code, message, getattr(err, "resource", ""),
                     err.headers.get("x-amz-request-id", ""),
                     getattr(err, "extra", None)), "application/xml"
