"""Independent decoders' answers for the decode tests: pydicom (+GDCM) pixel_array and nibabel get_fdata.

Usage: decode_truth.py [--golden] dicom|nifti FILE...  -> JSON on stdout: {file: {"frames": [...]} | {"error": str}}
Each frame: rows, cols, spp, stored (float64) and modality (float32, as we output it) as base64
little-endian, in row-major (row, col, sample) order; for NIfTI one entry per slice k (and volume t)
of width dim[1] x height dim[2]. --golden gives per file the SHA-256 of all values and their min/max/mean instead, for
test/fixtures/*/golden.json (the checks that run without Python).
"""
import base64, hashlib, json, sys, warnings
import numpy as np

warnings.simplefilter("ignore")


def b64(a, dtype="<f8"):
    return base64.b64encode(np.ascontiguousarray(a, dtype=dtype).tobytes()).decode()


def summary(values, dtype):
    """SHA-256 of all frames' values in order, with their range and mean (the lossy check)."""
    return {"sha256": hashlib.sha256(values.astype(dtype).tobytes()).hexdigest(), "min": float(values.min()), "max": float(values.max()), "mean": float(values.mean(dtype=np.float64))}


def golden(entry):
    if "error" in entry:
        return entry
    frames = entry["frames"]
    join = lambda key, dtype: np.concatenate([np.frombuffer(base64.b64decode(f[key]), dtype) for f in frames])
    first = frames[0]
    return {"frames": len(frames), "rows": first["rows"], "cols": first["cols"], "spp": first["spp"],
            "stored": summary(join("stored", "<f8"), "<f8"), "modality": summary(join("modality", "<f4"), "<f4")}


def dicom(path):
    import pydicom
    import pydicom.config
    from pydicom.pixel_data_handlers import gdcm_handler, numpy_handler, pillow_handler, rle_handler
    from pydicom.pixel_data_handlers.util import apply_modality_lut, convert_color_space

    ds = pydicom.dcmread(path)
    ts = ds.file_meta.TransferSyntaxUID
    # GDCM decodes 16-bit RGB RLE wrongly; pydicom's own RLE handler is right.
    if ts == "1.2.840.10008.1.2.5":
        pydicom.config.pixel_data_handlers = [rle_handler]
    else:
        pydicom.config.pixel_data_handlers = [numpy_handler, gdcm_handler, pillow_handler]
    arr = ds.pixel_array
    frames = int(ds.get("NumberOfFrames", 1) or 1)
    spp = int(ds.SamplesPerPixel)
    if frames == 1:
        arr = arr[np.newaxis]
    photometric = ds.PhotometricInterpretation
    # pixel_array keeps YBR_FULL data (native, RLE, JPEG) as YBR; our decode ends in RGB, so convert
    # with pydicom's own function. JPEG 2000 YBR_RCT/ICT come back from GDCM as RGB already.
    if photometric in ("YBR_FULL", "YBR_FULL_422") and ts not in ("1.2.840.10008.1.2.4.90", "1.2.840.10008.1.2.4.91"):
        arr = np.stack([convert_color_space(f, photometric, "RGB") for f in arr])
    out = []
    for f in arr:
        modality = apply_modality_lut(f, ds) if spp == 1 else f
        out.append({"rows": int(ds.Rows), "cols": int(ds.Columns), "spp": spp,
                    "stored": b64(f), "modality": b64(np.asarray(modality, dtype=np.float32), "<f4")})
    return {"frames": out}


def nifti(path):
    import nibabel as nb

    img = nb.load(path)
    data = np.asanyarray(img.dataobj.get_unscaled())  # stored values, on-disk axes
    fdata = img.get_fdata(dtype=np.float64)
    shape = data.shape + (1,) * (4 - data.ndim)
    data, fdata = data.reshape(shape), fdata.reshape(shape)
    out = []
    for t in range(shape[3]):
        for k in range(shape[2]):
            # nibabel indexes [i, j]; an image row is fixed j, so transpose to (height=dim2, width=dim1).
            out.append({"t": t, "k": k, "rows": shape[1], "cols": shape[0], "spp": 1,
                        "stored": b64(data[:, :, k, t].T), "modality": b64(np.float32(fdata[:, :, k, t].T), "<f4")})
    return {"frames": out}


def main():
    args = sys.argv[1:]
    as_golden = args[0] == "--golden"
    if as_golden:
        args = args[1:]
    kind, files = args[0], args[1:]
    result = {}
    for path in files:
        try:
            result[path] = dicom(path) if kind == "dicom" else nifti(path)
        except Exception as e:  # the test reports which file the reference could not read
            result[path] = {"error": f"{type(e).__name__}: {e}"}
    if as_golden:
        result = {path: golden(entry) for path, entry in result.items()}
    json.dump(result, sys.stdout, indent=1 if as_golden else None)


if __name__ == "__main__":
    main()
