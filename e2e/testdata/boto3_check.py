"""boto3 checks against a running d3sd: run by e2e.TestBoto3.

Environment: D3S_ENDPOINT, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY.
Prints one line per check and "boto3: N passed, 0 failed" at the end;
exits non-zero on the first failure.
"""
import hashlib
import io
import os
import sys
import urllib.request

import boto3
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from botocore.exceptions import ClientError

ENDPOINT = os.environ["D3S_ENDPOINT"]
passed = 0


def client(sig="s3v4"):
    return boto3.client(
        "s3",
        endpoint_url=ENDPOINT,
        region_name="us-east-1",
        config=Config(signature_version=sig, s3={"addressing_style": "path"},
                      retries={"max_attempts": 1}),
    )


def check(name, cond, detail=""):
    global passed
    if not cond:
        print(f"FAIL {name} {detail}")
        sys.exit(1)
    passed += 1
    print(f"ok {name}")


def error_code(fn):
    try:
        fn()
    except ClientError as e:
        return e.response["Error"]["Code"]
    return None


s3 = client()
s3.create_bucket(Bucket="boto")
body = os.urandom(300_000)
s3.put_object(Bucket="boto", Key="a/b.bin", Body=body, Metadata={"x": "y"}, ContentType="text/plain")
got = s3.get_object(Bucket="boto", Key="a/b.bin")
check("put/get round trip", got["Body"].read() == body)
check("metadata", got["Metadata"] == {"x": "y"} and got["ContentType"] == "text/plain", f"{got['Metadata']} {got['ContentType']}")
rng = s3.get_object(Bucket="boto", Key="a/b.bin", Range="bytes=1000-1999")["Body"].read()
check("range", rng == body[1000:2000])

# Multipart through the transfer manager.
big = os.urandom(20 * 1024 * 1024 + 17)
cfg = TransferConfig(multipart_threshold=5 * 1024 * 1024, multipart_chunksize=5 * 1024 * 1024)
s3.upload_fileobj(io.BytesIO(big), "boto", "big.bin", Config=cfg)
out = io.BytesIO()
s3.download_fileobj("boto", "big.bin", out, Config=cfg)
check("multipart transfer sha256", hashlib.sha256(out.getvalue()).digest() == hashlib.sha256(big).digest())
head = s3.head_object(Bucket="boto", Key="big.bin")
check("multipart etag", head["ETag"].endswith('-5"'), head["ETag"])

# Presigned PUT and GET.
url = s3.generate_presigned_url("put_object", Params={"Bucket": "boto", "Key": "pre.txt"}, ExpiresIn=600)
req = urllib.request.Request(url, data=b"presigned!", method="PUT")
check("presigned PUT", urllib.request.urlopen(req).status == 200)
url = s3.generate_presigned_url("get_object", Params={"Bucket": "boto", "Key": "pre.txt"}, ExpiresIn=600)
check("presigned GET", urllib.request.urlopen(url).read() == b"presigned!")

# SigV2 header and query forms.
v2 = client("s3")
v2.put_object(Bucket="boto", Key="v2.txt", Body=b"sigv2")
check("sigv2 put/get", v2.get_object(Bucket="boto", Key="v2.txt")["Body"].read() == b"sigv2")
url = v2.generate_presigned_url("get_object", Params={"Bucket": "boto", "Key": "v2.txt"}, ExpiresIn=600)
check("sigv2 presigned GET", urllib.request.urlopen(url).read() == b"sigv2")

# Listing with the paginator.
for i in range(25):
    s3.put_object(Bucket="boto", Key=f"many/{i:03d}", Body=b"x")
pages = s3.get_paginator("list_objects_v2").paginate(Bucket="boto", Prefix="many/", PaginationConfig={"PageSize": 7})
keys = [o["Key"] for p in pages for o in p.get("Contents", [])]
check("paginated listing", keys == [f"many/{i:03d}" for i in range(25)], str(keys[:3]))

# Errors.
check("NoSuchKey", error_code(lambda: s3.get_object(Bucket="boto", Key="nope")) == "NoSuchKey")
check("NoSuchBucket", error_code(lambda: s3.list_objects_v2(Bucket="nobucket")) == "NoSuchBucket")
check("BucketNotEmpty", error_code(lambda: s3.delete_bucket(Bucket="boto")) == "BucketNotEmpty")
check("InvalidRange", error_code(lambda: s3.get_object(Bucket="boto", Key="v2.txt", Range="bytes=50-60")) == "InvalidRange")
bad = boto3.client("s3", endpoint_url=ENDPOINT, region_name="us-east-1",
                   aws_access_key_id=os.environ["AWS_ACCESS_KEY_ID"], aws_secret_access_key="wrong" * 8,
                   config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1}))
check("SignatureDoesNotMatch", error_code(lambda: bad.put_object(Bucket="boto", Key="evil", Body=b"x")) == "SignatureDoesNotMatch")
check("bad signature wrote nothing", error_code(lambda: s3.head_object(Bucket="boto", Key="evil")) == "404")

# Batch delete then bucket delete.
objs = [{"Key": o["Key"]} for p in s3.get_paginator("list_objects_v2").paginate(Bucket="boto") for o in p.get("Contents", [])]
res = s3.delete_objects(Bucket="boto", Delete={"Objects": objs, "Quiet": True})
check("delete_objects quiet", not res.get("Errors") and not res.get("Deleted"), str(res.get("Errors")))
s3.delete_bucket(Bucket="boto")
check("bucket deleted", error_code(lambda: s3.head_bucket(Bucket="boto")) == "404")
print(f"boto3: {passed} passed, 0 failed")
