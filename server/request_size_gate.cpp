#include "request_size_gate.hpp"

#include <pistache/peer.h>

namespace crdex::server {

namespace {

namespace GateParser = Pistache::Http::Private;
using Pistache::StreamCursor;
using GateState = GateParser::State;

size_t gate_buffered_bytes(const StreamCursor& cursor) { return static_cast<size_t>(cursor) + cursor.remaining(); }

// The request line, and the place where dropped input goes.
class GatedRequestLineStep : public GateParser::RequestLineStep {
 public:
  GatedRequestLineStep(Pistache::Http::Request* request, SizeGatedParser& parser)
      : RequestLineStep(request), parser_(parser) {}

  GateState apply(StreamCursor& cursor) override {
    if (parser_.dropping()) {
      parser_.drop_buffered_input();
      return GateState::Again;
    }
    const GateState state = RequestLineStep::apply(cursor);
    if (state == GateState::Again && gate_buffered_bytes(cursor) > parser_.limits().whole_request()) {
      parser_.mark(OverLimit::headers);
      return GateState::Done;
    }
    return state;
  }

 private:
  SizeGatedParser& parser_;
};

class GatedHeadersStep : public GateParser::HeadersStep {
 public:
  GatedHeadersStep(Pistache::Http::Message* message, SizeGatedParser& parser)
      : HeadersStep(message), parser_(parser) {}

  GateState apply(StreamCursor& cursor) override {
    const SizeLimits& limits = parser_.limits();
    const GateState state = HeadersStep::apply(cursor);
    if (state == GateState::Again || state == GateState::Next) {
      // Again: the headers so far; Next: all of them (they may come in one read).
      const size_t header_bytes = state == GateState::Again ? gate_buffered_bytes(cursor) : static_cast<size_t>(cursor);
      if (header_bytes > limits.whole_request()) {
        parser_.mark(OverLimit::headers);
        return GateState::Done;
      }
    }
    if (state != GateState::Next) return state;
    parser_.body_start = static_cast<size_t>(cursor);
    // A declared length over the limit: answered now, before the body is
    // read (or memory reserved for it, as Pistache would).
    const auto length = message->headers().tryGet<Pistache::Http::Header::ContentLength>();
    if (length && (length->value() > limits.max_body_bytes ||
                   length->value() > limits.whole_request() - parser_.body_start)) {
      parser_.mark(OverLimit::body);
      return GateState::Done;
    }
    return state;
  }

 private:
  SizeGatedParser& parser_;
};

// A chunked body is measured as it arrives, framing included.
class GatedBodyStep : public GateParser::BodyStep {
 public:
  GatedBodyStep(Pistache::Http::Message* message, SizeGatedParser& parser) : BodyStep(message), parser_(parser) {}

  GateState apply(StreamCursor& cursor) override {
    const GateState state = BodyStep::apply(cursor);
    const size_t total = gate_buffered_bytes(cursor);
    const SizeLimits& limits = parser_.limits();
    if (state == GateState::Again &&
        (total - parser_.body_start > limits.max_body_bytes || total > limits.whole_request())) {
      parser_.mark(OverLimit::body);
      return GateState::Done;
    }
    return state;
  }

 private:
  SizeGatedParser& parser_;
};

}  // namespace

SizeGatedParser::SizeGatedParser(SizeLimits limits)
    : Pistache::Http::RequestParser(pistache_limit(limits)), limits_(limits) {
  allSteps[0] = std::make_unique<GatedRequestLineStep>(&request, *this);
  allSteps[1] = std::make_unique<GatedHeadersStep>(&request, *this);
  allSteps[2] = std::make_unique<GatedBodyStep>(&request, *this);
}

size_t SizeGatedParser::pistache_limit(SizeLimits limits) {
  // One read adds at most Pistache's read buffer (4 KiB) past a limit
  // before the gate looks; the slack keeps Pistache's own check behind.
  return limits.whole_request() + 64 * 1024;
}

void SizeGatedParser::reset() {
  Pistache::Http::RequestParser::reset();
  if (over_limit_ != OverLimit::none) dropping_ = true;
  over_limit_ = OverLimit::none;
}

void SizeGatedParser::drop_buffered_input() {
  // Pistache's buffer and cursor start again empty; the request timer is
  // left as it is, so Pistache's header time-out still ends the connection.
  ParserBase::reset();
}

void install_size_gate(const std::shared_ptr<Pistache::Tcp::Peer>& peer, SizeLimits limits) {
  peer->putData(Pistache::Http::Handler::ParserData, std::make_shared<SizeGatedParser>(limits));
}

OverLimit request_over_limit(const Pistache::Http::ResponseWriter& response) {
  try {
    const auto peer = response.peer();
    if (!peer) return OverLimit::none;
    const auto parser = std::dynamic_pointer_cast<SizeGatedParser>(Pistache::Http::Handler::getParser(peer));
    return parser ? parser->over_limit() : OverLimit::none;
  } catch (const std::exception&) {
    return OverLimit::none;  // the client is gone
  }
}

}  // namespace crdex::server
