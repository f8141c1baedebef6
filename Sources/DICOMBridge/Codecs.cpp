// Codec registration (once per process) and DCMTK's log level.
#include "BridgeInternal.hpp"

#include "dcmtk/dcmdata/dcrledrg.h"
#include "dcmtk/dcmjpeg/djdecode.h"
#include "dcmtk/dcmjpls/djdecode.h"
#include "dcmtk/oflog/oflog.h"

#include <atomic>
#include <cstring>
#include <mutex>

namespace {
std::once_flag registered;
std::atomic<bool> verboseFlag{false};

void applyLogLevel() {
    OFLog::configure(verboseFlag.load() ? OFLogger::WARN_LOG_LEVEL : OFLogger::OFF_LOG_LEVEL);
}
}  // namespace

namespace dcb {

void ensureInitialised() {
    std::call_once(registered, [] {
        applyLogLevel();
        DJDecoderRegistration::registerCodecs();
        DJLSDecoderRegistration::registerCodecs();
        DcmRLEDecoderRegistration::registerCodecs();
    });
}

bool verbose() { return verboseFlag.load(); }

int fail(char *err, size_t errlen, int status, const std::string &message) {
    if (err && errlen > 0) {
        size_t n = std::min(message.size(), errlen - 1);
        std::memcpy(err, message.data(), n);
        err[n] = '\0';
    }
    return status;
}

int copyOut(const std::string &value, char *buf, size_t buflen) {
    if (!buf || buflen < value.size() + 1) return DCB_ERR_INVALID;
    std::memcpy(buf, value.c_str(), value.size() + 1);
    return DCB_OK;
}

}  // namespace dcb

extern "C" void dcb_set_verbose(int verbose) {
    verboseFlag.store(verbose != 0);
    dcb::ensureInitialised();
    applyLogLevel();
}

// Helpers for the C files (PNG.c, JPEG.c).
extern "C" void dcb_verbose_message(const char *what, const char *message) {
    if (verboseFlag.load()) std::fprintf(stderr, "%s: %s\n", what, message);
}

extern "C" int dcb_c_fail(char *err, size_t errlen, int status, const char *message) {
    return dcb::fail(err, errlen, status, message ? message : "");
}
