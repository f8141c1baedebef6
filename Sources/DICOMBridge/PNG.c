/* PNG through libpng's classic API. Plain C because libpng reports errors with longjmp. */
#include "DICOMBridge.h"

#include <png.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void dcb_verbose_message(const char *what, const char *message);
int dcb_c_fail(char *err, size_t errlen, int status, const char *message);

typedef struct {
    char message[256];
    int truncated;
} png_context;

static void png_error_fn(png_structp png, png_const_charp msg) {
    png_context *ctx = (png_context *)png_get_error_ptr(png);
    snprintf(ctx->message, sizeof(ctx->message), "%s", msg);
    png_longjmp(png, 1);
}

/* libpng's stdio reader says only "Read Error" when the file ends early. */
static void png_read_file(png_structp png, png_bytep data, size_t length) {
    if (fread(data, 1, length, (FILE *)png_get_io_ptr(png)) != length) {
        ((png_context *)png_get_error_ptr(png))->truncated = 1;
        png_error(png, "truncated PNG: the data ends before the image does");
    }
}

static void png_warning_fn(png_structp png, png_const_charp msg) {
    (void)png;
    dcb_verbose_message("libpng", msg);
}

int dcb_png_read(const char *path, dcb_raster *out, char *err, size_t errlen) {
    memset(out, 0, sizeof(*out));
    FILE *fp = fopen(path, "rb");
    if (!fp) return dcb_c_fail(err, errlen, DCB_ERR_IO, strerror(errno));
    unsigned char signature[8];
    if (fread(signature, 1, 8, fp) != 8 || png_sig_cmp(signature, 0, 8) != 0) {
        fclose(fp);
        return dcb_c_fail(err, errlen, DCB_ERR_NOT_IMAGE, "not a PNG file (bad signature)");
    }
    png_context ctx = {{0}};
    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &ctx, png_error_fn, png_warning_fn);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    if (!png || !info) {
        png_destroy_read_struct(&png, &info, NULL);
        fclose(fp);
        return dcb_c_fail(err, errlen, DCB_ERR_IO, "out of memory");
    }
    uint16_t *volatile data = NULL;
    png_bytep volatile row = NULL;
    /* An interlaced image's whole rows: freed here too when libpng stops inside it (fuzz_raster 0841a4b1). */
    png_bytep volatile whole = NULL;
    png_bytepp volatile rows = NULL;
    if (setjmp(png_jmpbuf(png))) {
        free(data);
        free(row);
        free(whole);
        free(rows);
        png_destroy_read_struct(&png, &info, NULL);
        fclose(fp);
        if (ctx.truncated || strcmp(ctx.message, "out of memory") == 0)
            return dcb_c_fail(err, errlen, ctx.truncated ? DCB_ERR_TRUNCATED : DCB_ERR_IO, ctx.message);
        /* libpng's own words ("bad adaptive filter value", "IDAT: CRC error") do not say that the file is broken. */
        char message[300];
        snprintf(message, sizeof(message), "corrupt PNG: %s", ctx.message[0] ? ctx.message : "unreadable");
        return dcb_c_fail(err, errlen, DCB_ERR_NOT_IMAGE, message);
    }
    png_set_read_fn(png, fp, png_read_file);
    png_set_sig_bytes(png, 8);
    png_set_user_limits(png, 1000000, 1000000);
    png_read_info(png, info);

    png_uint_32 width = png_get_image_width(png, info), height = png_get_image_height(png, info);
    int color = png_get_color_type(png, info), depth = png_get_bit_depth(png, info);
    if (color == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(png);
    if (color == PNG_COLOR_TYPE_GRAY && depth < 8) png_set_expand_gray_1_2_4_to_8(png);
    if (png_get_valid(png, info, PNG_INFO_tRNS)) png_set_tRNS_to_alpha(png);
    if (depth == 16) png_set_swap(png); /* little-endian host: samples land as native uint16 */
    if (png_get_interlace_type(png, info) != PNG_INTERLACE_NONE) png_set_interlace_handling(png);
    png_read_update_info(png, info);

    unsigned channels = png_get_channels(png, info);
    unsigned bits = png_get_bit_depth(png, info);
    if ((unsigned long long)width * height * channels > DCB_MAX_PIXELS) {
        png_destroy_read_struct(&png, &info, NULL);
        fclose(fp);
        char msg[160];
        snprintf(msg, sizeof(msg), "PNG of %u x %u x %u samples exceeds the limit of 100 megapixels",
                 (unsigned)width, (unsigned)height, channels);
        return dcb_c_fail(err, errlen, DCB_ERR_TOO_LARGE, msg);
    }
    int passes = png_set_interlace_handling(png);
    size_t samples = (size_t)width * height * channels;
    data = (uint16_t *)malloc(samples * sizeof(uint16_t));
    row = (png_bytep)malloc(png_get_rowbytes(png, info));
    if (!data || !row) png_error(png, "out of memory");
    if (passes > 1) {
        /* Interlaced images need the whole image as rows; read into the 16-bit buffer in place. */
        size_t rowBytes = png_get_rowbytes(png, info);
        whole = (png_bytep)malloc(rowBytes * height);
        rows = (png_bytepp)malloc(sizeof(png_bytep) * height);
        if (!whole || !rows) png_error(png, "out of memory");
        for (png_uint_32 y = 0; y < height; ++y) rows[y] = whole + y * rowBytes;
        png_read_image(png, rows);
        for (size_t i = 0; i < samples; ++i)
            data[i] = bits == 16 ? ((uint16_t *)whole)[i] : whole[i];
        free(whole);
        free(rows);
        whole = NULL;
        rows = NULL;
    } else {
        for (png_uint_32 y = 0; y < height; ++y) {
            png_read_row(png, row, NULL);
            uint16_t *dst = data + (size_t)y * width * channels;
            size_t n = (size_t)width * channels;
            if (bits == 16) memcpy(dst, row, n * 2);
            else for (size_t i = 0; i < n; ++i) dst[i] = row[i];
        }
    }
    png_read_end(png, NULL);
    png_destroy_read_struct(&png, &info, NULL);
    fclose(fp);
    free(row);
    out->width = width;
    out->height = height;
    out->channels = (uint8_t)channels;
    out->bit_depth = (uint8_t)bits;
    out->data = data;
    return DCB_OK;
}

int dcb_png_write(const char *path, const dcb_raster *in, char *err, size_t errlen) {
    if (!in || !in->data || in->width == 0 || in->height == 0 || (in->bit_depth != 8 && in->bit_depth != 16))
        return dcb_c_fail(err, errlen, DCB_ERR_INVALID, "invalid raster");
    int color;
    switch (in->channels) {
        case 1: color = PNG_COLOR_TYPE_GRAY; break;
        case 2: color = PNG_COLOR_TYPE_GRAY_ALPHA; break;
        case 3: color = PNG_COLOR_TYPE_RGB; break;
        case 4: color = PNG_COLOR_TYPE_RGB_ALPHA; break;
        default: return dcb_c_fail(err, errlen, DCB_ERR_INVALID, "invalid channel count");
    }
    FILE *fp = fopen(path, "wb");
    if (!fp) return dcb_c_fail(err, errlen, DCB_ERR_IO, strerror(errno));
    png_context ctx = {{0}};
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &ctx, png_error_fn, png_warning_fn);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    png_bytep volatile row = NULL;
    if (!png || !info || setjmp(png_jmpbuf(png))) {
        free(row);
        png_destroy_write_struct(&png, &info);
        fclose(fp);
        return dcb_c_fail(err, errlen, DCB_ERR_IO, ctx.message[0] ? ctx.message : "cannot write PNG");
    }
    png_init_io(png, fp);
    png_set_IHDR(png, info, in->width, in->height, in->bit_depth, color, PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_write_info(png, info);
    if (in->bit_depth == 16) png_set_swap(png);
    size_t n = (size_t)in->width * in->channels;
    row = (png_bytep)malloc(n * (in->bit_depth / 8));
    if (!row) png_error(png, "out of memory");
    for (uint32_t y = 0; y < in->height; ++y) {
        const uint16_t *src = in->data + (size_t)y * n;
        if (in->bit_depth == 16) memcpy(row, src, n * 2);
        else for (size_t i = 0; i < n; ++i) row[i] = (png_byte)(src[i] > 255 ? 255 : src[i]);
        png_write_row(png, row);
    }
    png_write_end(png, NULL);
    png_destroy_write_struct(&png, &info);
    free(row);
    if (fclose(fp) != 0) return dcb_c_fail(err, errlen, DCB_ERR_IO, strerror(errno));
    return DCB_OK;
}

void dcb_raster_free(dcb_raster *r) {
    if (!r) return;
    free(r->data);
    r->data = NULL;
}

void dcb_line_buffer_stdout(void) { setvbuf(stdout, NULL, _IOLBF, 0); }
