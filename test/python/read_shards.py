"""A reader written only from docs/FORMAT.md, in another language: proves the document is enough.

Usage: python3 read_shards.py <dataset dir>   -> prints JSON {key: [sum of pixels, labels]} for every sample.
"""
import decimal, hashlib, json, os, struct, sys, zlib


def es_number(x):
    """ECMAScript Number::toString for a finite number (FORMAT.md, "Canonical JSON")."""
    if isinstance(x, bool):
        raise TypeError("bool is not a number")
    if isinstance(x, int) and abs(x) < 2**53:
        return str(x)
    x = float(x)
    if x == 0:
        return "0"  # also -0
    # repr is the shortest decimal that round-trips, as in ECMAScript; take its digits and exponent.
    sign, ds, exp = decimal.Decimal(repr(abs(x))).as_tuple()
    digits = "".join(map(str, ds)).rstrip("0")
    exp += len(ds) - len(digits)  # the trailing zeros stripped from the digits
    k = len(digits)
    n = k + exp  # value = 0.d1..dk x 10^n
    if k <= n <= 21:
        s = digits + "0" * (n - k)
    elif 0 < n <= 21:
        s = digits[:n] + "." + digits[n:]
    elif -6 < n <= 0:
        s = "0." + "0" * (-n) + digits
    else:
        e = n - 1
        s = digits[0] + ("." + digits[1:] if k > 1 else "") + "e" + ("+" if e >= 0 else "-") + str(abs(e))
    return ("-" if x < 0 else "") + s


def canon(v):
    """Canonical JSON: keys sorted, no whitespace, strings as JSON.stringify, numbers as es_number."""
    if v is None:
        return "null"
    if v is True:
        return "true"
    if v is False:
        return "false"
    if isinstance(v, (int, float)):
        return es_number(v)
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)
    if isinstance(v, list):
        return "[" + ",".join(canon(x) for x in v) + "]"
    return "{" + ",".join(json.dumps(k, ensure_ascii=False) + ":" + canon(v[k]) for k in sorted(v)) + "}"


def main(d):
    m = json.load(open(os.path.join(d, "manifest.json")))
    assert m["format"] == "ct-shards" and m["version"] == 2
    rest = {k: v for k, v in m.items() if k != "checksum"}
    assert hashlib.sha256(canon(rest).encode("utf-8")).hexdigest() == m["checksum"], "manifest checksum"
    schema = m["schema"]
    assert hashlib.sha256(canon(schema).encode("utf-8")).hexdigest() == m["schemaHash"], "schema hash"
    # FORMAT.md: unknown fields are refused; `values` is optional; inputs are files (a volume is one input).
    assert set(m) <= {"build", "buildId", "checksum", "dataOffset", "format", "recordsPerShard", "samples", "schema", "schemaHash", "shards", "values", "version"}
    p = schema["preprocess"]
    assert set(p) == {"fit", "intensity", "kernel", "rescale", "size", "window", "windows"}, "preprocess fields"
    assert p["windows"] is None or (len(p["windows"]) == schema["shape"][2] and schema["dtype"] == "uint8"), "one window per channel"
    assert p["window"] in (None, "dicom") or set(p["window"]) == {"center", "width"}
    assert p["rescale"] is None or set(p["rescale"]) == {"intercept", "slope"}
    b = m["build"]
    assert b["inputs"] == b["written"] + len(b["skipped"]) and b["written"] <= m["samples"] and (b["written"] == 0) == (m["samples"] == 0)
    if "values" in m:
        v = m["values"]
        assert set(v) == {"clipped", "fewLevels", "histogram", "max", "min"} and v["min"] <= v["max"] and len(v["histogram"]) == 64
    build_id = bytes.fromhex(m["buildId"])
    seed = zlib.crc32(build_id)
    rec = schema["record"]
    h, w, c = schema["shape"]
    # FORMAT.md, "Pixel data": little-endian unsigned display values, or int16 / float32 modality values.
    elem = {"uint8": "B", "uint16": "H", "int16": "h", "float32": "f"}[schema["dtype"]]
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
        assert (version, shard_index, stride, offset, first) == (2, s, rec["stride"], 4096, entry["firstSample"])
        assert data[92:108] == build_id, "build id in header"
        assert data[12:16] == b"\0" * 4 and data[108:124] == b"\0" * 16 and data[128:4096] == b"\0" * (4096 - 128)
        index_bytes = open(os.path.join(d, entry["index"]["file"]), "rb").read()
        index = json.loads(index_bytes)
        assert index_bytes == (canon(index) + "\n").encode("utf-8"), "index is canonical JSON + newline"
        for r in range(count):
            b = data[offset + r * stride: offset + (r + 1) * stride]
            assert struct.unpack_from("<I", b, rec["crcOffset"])[0] == zlib.crc32(b[: rec["crcOffset"]])
            key = index["keys"][r]
            assert struct.unpack_from("<I", b, rec["keyCrcOffset"])[0] == zlib.crc32(key.encode("utf-8"), seed)
            pixels = struct.unpack_from("<%d%s" % (h * w * c, elem), b, 0)
            labels = list(struct.unpack_from("<%df" % L, b, rec["labelsOffset"]))
            assert labels == index["labels"][r], "labels in record and index"
            out[key] = [sum(pixels), labels]
    print(json.dumps(out))


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--numbers":
        # Used by the test: print es_number of each value given on stdin (one JSON array).
        print(json.dumps([es_number(x) for x in json.load(sys.stdin)]))
    else:
        main(sys.argv[1])
