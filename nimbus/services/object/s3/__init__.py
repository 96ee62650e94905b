"""The S3 API on the object store's data (a bucket is a Swift container of the signer's
project). api.py: the mount and dispatch; auth.py: Signature V4/V2 against Keystone's EC2
credentials; buckets.py, objects.py, listing.py, multipart.py: the operations."""
