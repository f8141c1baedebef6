// Debian's Tesseract OCR (libtesseract-dev, with tesseract-ocr-eng's trained data): its C API.
#include <tesseract/capi.h>

// Leptonica, Tesseract's image library, prints its own complaints on stderr ("Error in boxClipToRectangle")
// while finding text; they are not ours to show. From leptonica/allheaders.h (6: L_SEVERITY_NONE).
int setMsgSeverity(int newsev);

// libgomp's, Tesseract's OpenMP runtime (declared here because clang does not see gcc's omp.h). Tesseract's LSTM
// asks for ten threads in each of its parallel regions; these per-thread settings let the caller keep it to itself.
void omp_set_dynamic(int dynamic_threads);
int omp_get_dynamic(void);
void omp_set_num_threads(int num_threads);
int omp_get_max_threads(void);
