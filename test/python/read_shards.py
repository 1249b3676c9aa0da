"""A reader written only from docs/FORMAT.md, in another language: proves the document is enough.

Usage: python3 read_shards.py <dataset dir>   -> prints JSON {key: [sum of pixels, labels]} for every sample.
"""
import hashlib, json, os, struct, sys, zlib

def main(d):
    m = json.load(open(os.path.join(d, "manifest.json")))
    assert m["format"] == "ct-shards" and m["version"] == 1
    rest = {k: v for k, v in m.items() if k != "checksum"}
    assert hashlib.sha256(json.dumps(rest, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")).hexdigest() == m["checksum"], "manifest checksum"
    schema = m["schema"]
    canon = json.dumps(schema, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    assert hashlib.sha256(canon).hexdigest() == m["schemaHash"], "schema hash"
    rec = schema["record"]
    h, w, c = schema["shape"]
    elem = "B" if schema["dtype"] == "uint8" else "H"
    L = len(schema["labelNames"])
    out = {}
    for s, entry in enumerate(m["shards"]):
        data = open(os.path.join(d, entry["file"]), "rb").read()
        assert len(data) == entry["bytes"] and hashlib.sha256(data).hexdigest() == entry["sha256"]
        assert data[:8] == b"CTSHARD\x00"
        assert struct.unpack_from("<I", data, 124)[0] == zlib.crc32(data[:124])
        version, = struct.unpack_from("<I", data, 8)
        shard_index, count, stride, offset = struct.unpack_from("<IIII", data, 48)
        first, = struct.unpack_from("<Q", data, 64)
        assert (version, shard_index, stride, offset, first) == (1, s, rec["stride"], 4096, entry["firstSample"])
        index = json.loads(open(os.path.join(d, entry["index"]["file"]), "rb").read())
        for r in range(count):
            b = data[offset + r * stride: offset + (r + 1) * stride]
            assert struct.unpack_from("<I", b, rec["crcOffset"])[0] == zlib.crc32(b[: rec["crcOffset"]])
            key = index["keys"][r]
            assert struct.unpack_from("<I", b, rec["keyCrcOffset"])[0] == zlib.crc32(key.encode())
            pixels = struct.unpack_from("<%d%s" % (h * w * c, elem), b, 0)
            labels = list(struct.unpack_from("<%df" % L, b, rec["labelsOffset"]))
            out[key] = [sum(pixels), labels]
    print(json.dumps(out))

main(sys.argv[1])
