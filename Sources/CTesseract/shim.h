// Debian's Tesseract OCR (libtesseract-dev, with tesseract-ocr-eng's trained data): its C API.
#include <tesseract/capi.h>

// Leptonica, Tesseract's image library, prints its own complaints on stderr ("Error in boxClipToRectangle")
// while finding text; they are not ours to show. From leptonica/allheaders.h (6: L_SEVERITY_NONE).
int setMsgSeverity(int newsev);
