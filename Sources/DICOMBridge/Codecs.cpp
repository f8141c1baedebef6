// Codec registration (once per process) and where DCMTK's log messages go.
#include "BridgeInternal.hpp"

#include "dcmtk/dcmdata/dcrledrg.h"
#include "dcmtk/dcmjpeg/djdecode.h"
#include "dcmtk/dcmjpls/djdecode.h"
#include "dcmtk/oflog/appender.h"
#include "dcmtk/oflog/oflog.h"
#include "dcmtk/oflog/spi/logevent.h"

#include <atomic>
#include <cstring>
#include <mutex>
#include <string>
#include <vector>

namespace {
std::once_flag registered;
std::atomic<bool> verboseFlag{false};
thread_local std::vector<std::string> *threadMessages = nullptr;

/// Receives every message DCMTK logs at warning level or above: a decode on this thread keeps them (DCMTK's
/// codecs report damaged data only there), and they reach stderr only when verbose.
class BridgeAppender : public dcmtk::log4cplus::Appender {
public:
    ~BridgeAppender() override { destructorImpl(); }
    void close() override {}

protected:
    void append(const dcmtk::log4cplus::spi::InternalLoggingEvent &event) override {
        const std::string message = event.getMessage().c_str();
        if (threadMessages) threadMessages->push_back(message);
        if (!verboseFlag.load()) return;
        const dcmtk::log4cplus::LogLevel level = event.getLogLevel();
        const char *prefix = level >= dcmtk::log4cplus::FATAL_LOG_LEVEL   ? "F"
                             : level >= dcmtk::log4cplus::ERROR_LOG_LEVEL ? "E"
                                                                          : "W";
        std::fprintf(stderr, "%s: %s\n", prefix, message.c_str());  // DCMTK's own console layout
    }
};

void routeLogMessages() {
    OFLog::configure(OFLogger::WARN_LOG_LEVEL);  // DCMTK's own set-up first, then our appender in place of its console
    dcmtk::log4cplus::Logger root = dcmtk::log4cplus::Logger::getRoot();
    root.removeAllAppenders();
    root.addAppender(dcmtk::log4cplus::SharedAppenderPtr(new BridgeAppender()));
}
}  // namespace

namespace dcb {

void ensureInitialised() {
    std::call_once(registered, [] {
        routeLogMessages();
        DJDecoderRegistration::registerCodecs();
        DJLSDecoderRegistration::registerCodecs();
        DcmRLEDecoderRegistration::registerCodecs();
    });
}

bool verbose() { return verboseFlag.load(); }

DecoderMessages::DecoderMessages() : outer(threadMessages) { threadMessages = &collected; }
DecoderMessages::~DecoderMessages() { threadMessages = outer; }

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
}

// Helpers for the C files (PNG.c, JPEG.c).
extern "C" void dcb_verbose_message(const char *what, const char *message) {
    if (verboseFlag.load()) std::fprintf(stderr, "%s: %s\n", what, message);
}

extern "C" int dcb_c_fail(char *err, size_t errlen, int status, const char *message) {
    return dcb::fail(err, errlen, status, message ? message : "");
}
