// libFuzzer target: PNG and JPEG decoding (libpng classic API and libjpeg-turbo through the bridge). The
// bridge reads files, so each input goes through a per-process temporary file.
#include "DICOMBridge.h"
#include <cstdint>
#include <cstdio>
#include <string>
#include <unistd.h>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static const std::string path = "/tmp/cxr-fuzz-raster-" + std::to_string(getpid());
    FILE *f = std::fopen(path.c_str(), "wb");
    if (!f) return 0;
    std::fwrite(data, 1, size, f);
    std::fclose(f);
    char err[512];
    dcb_raster r{};
    if (dcb_png_read(path.c_str(), &r, err, sizeof err) == DCB_OK) dcb_raster_free(&r);
    dcb_raster j{};
    if (dcb_jpeg_read(path.c_str(), &j, err, sizeof err) == DCB_OK) dcb_raster_free(&j);
    return 0;
}
