#include "filexfer/FileReceiveSession.h"

#include "transport/TransportError.h"
#include "wire/Clock.h"

#include <optional>

namespace pigeon::filexfer {

namespace {

const Poco::Timespan kPoll(0, 100'000);
constexpr std::uint64_t kProgressEveryChunks = 64;
constexpr std::int64_t kProgressEveryNs = 250'000'000;
constexpr int kVerdictCopiesOnLossyTransport = 3;
constexpr std::int64_t kWaitForSenderCloseNs = 10'000'000'000;  // the sender's verdict timeout

}  // namespace

bool FileReceiveSession::handle(transport::Transport& transport, FileReceiver& receiver,
                                const transport::Incoming& in) {
  (void)transport;
  switch (in.kind) {
    case transport::Incoming::Kind::kClosed:
      closed_ = true;
      return false;
    case transport::Incoming::Kind::kMalformed:
    case transport::Incoming::Kind::kPlain:
      ++malformed_;
      return true;
    case transport::Incoming::Kind::kTimeout:
      return true;
    case transport::Incoming::Kind::kMessage:
      break;
  }
  if (in.header.streamId != kFileStreamId && in.header.type != wire::MessageType::kFileOffer) {
    return true;  // not part of a file transfer
  }
  switch (in.header.type) {
    case wire::MessageType::kFileOffer: {
      std::string why;
      const auto offer = decodeOffer(in.payload, why);
      if (!offer) {
        if (!receiver.hasOffer()) receiver.refuse(why);
        return !receiver.failed();
      }
      const bool first = !receiver.hasOffer();
      receiver.offer(*offer);
      if (first && receiver.hasOffer()) showProgress(receiver, true);
      return !receiver.failed();
    }
    case wire::MessageType::kData:
      receiver.chunk(in.header.sequence, in.payload);
      showProgress(receiver, false);
      return !receiver.failed();
    case wire::MessageType::kBye:
      if (in.payload.size() == 8 && receiver.hasOffer()) {
        receiver.end(wire::getU64(in.payload.data()));
      }
      return true;
    default:
      return true;
  }
}

bool FileReceiveSession::leftover(transport::Transport& transport, const transport::Incoming& in,
                                  std::int64_t nowNs) {
  if (!served_ || in.kind == transport::Incoming::Kind::kTimeout) return false;
  if (nowNs >= served_->untilNs || !(in.from == served_->from)) return false;
  const bool asks = in.kind == transport::Incoming::Kind::kMessage &&
                    (in.header.type == wire::MessageType::kFileOffer ||
                     in.header.type == wire::MessageType::kBye);
  try {
    // The transport took the old sender for its peer again: answer it, then
    // let go of it once more.
    if (asks) transport.sendMessage(served_->header, served_->verdict);
  } catch (const transport::TransportError&) {
    // It has gone: nothing to answer.
  }
  transport.forgetPeer();
  return true;
}

void FileReceiveSession::showProgress(const FileReceiver& receiver, bool now) {
  if (!options_.progress) return;
  // Every 64 chunks, and at least every quarter second: a slow transfer's
  // line moves too.
  const std::int64_t at = wire::steadyNowNs();
  if (!now && receiver.chunksReceived() % kProgressEveryChunks != 0 &&
      at - lastProgressNs_ < kProgressEveryNs) {
    return;
  }
  lastProgressNs_ = at;
  options_.progress(receiver);
}

FileReceiver::Outcome FileReceiveSession::run(transport::Transport& transport,
                                              FileReceiver& receiver,
                                              const std::atomic<bool>& stop) {
  const bool lossy = !transport.traits().reliable;
  malformed_ = 0;
  closed_ = false;
  goneWhy_.clear();
  const std::int64_t idleNs = options_.idleTimeout.totalMicroseconds() * 1000;
  const std::int64_t settleNs = options_.settleAfterEnd.totalMicroseconds() * 1000;
  std::optional<std::int64_t> lastFrameNs;
  std::optional<std::int64_t> settleUntilNs;
  bool interrupted = false;
  for (;;) {
    if (stop) {
      interrupted = true;
      break;
    }
    transport::Incoming in;
    try {
      in = transport.receive(kPoll);
    } catch (const transport::TransportError& e) {
      // Over udp an ICMP port unreachable says that a sender this receiver
      // answered has gone (the last one, after its verdict): not a failure
      // here. One that goes mid-file is judged by the idle timeout.
      if (!lossy && receiver.hasOffer()) {
        // A connection that died mid-file (rudp's idle timeout after the
        // sender was killed): the sender went away, as when it closes.
        closed_ = true;
        goneWhy_ = e.what();
        break;
      }
      if (!lossy || e.code() != transport::TransportError::Code::kConnectionRefused) throw;
      if (!receiver.hasOffer()) transport.forgetPeer();
      continue;
    }
    const std::int64_t now = wire::steadyNowNs();
    const bool wasOffered = receiver.hasOffer();
    if (lossy && leftover(transport, in, now)) continue;
    if (!handle(transport, receiver, in)) break;
    // Over udp the first datagram's source became the peer; one that did
    // not offer a file (a stranger's, a sender's from long ago) must not
    // keep the next sender out.
    if (lossy && !receiver.hasOffer() && in.kind != transport::Incoming::Kind::kTimeout) {
      transport.forgetPeer();
    }
    if (in.kind == transport::Incoming::Kind::kMessage && (wasOffered || receiver.hasOffer())) {
      lastFrameNs = now;
    }
    if (receiver.ended() && !settleUntilNs) {
      // Over tcp and rudp everything sent has arrived, in order; over udp
      // a file with no chunk missing has no straggler to wait for.
      if (!lossy || receiver.whole()) break;
      settleUntilNs = now + settleNs;
    }
    if (settleUntilNs && now >= *settleUntilNs) break;
    if (lossy && lastFrameNs && now - *lastFrameNs >= idleNs) break;
  }
  if (options_.progress) options_.progress(receiver);
  if (interrupted && !receiver.failed() && receiver.hasOffer() && !receiver.ended()) {
    receiver.refuse("interrupted before the end", Reason::kInterrupted);
  }
  FileReceiver::Outcome outcome = receiver.finish();
  if (outcome.reason == Reason::kInterrupted) {  // not a refusal of the offer: it was taken
    outcome.message = "interrupted after " + std::to_string(receiver.chunksReceived()) + " of " +
                      std::to_string(receiver.currentOffer().chunkCount()) + " chunks of '" +
                      receiver.currentOffer().name + "'; the partial file was removed";
  }
  if (closed_ && outcome.verdict != Verdict::kStored) {
    // Over tcp and rudp a missing chunk means the sender went away.
    if (!lossy && outcome.verdict == Verdict::kChunksMissing) {
      outcome.verdict = Verdict::kIncomplete;
      outcome.message = "the sender went away after " + std::to_string(receiver.chunksReceived()) +
                        " of " + std::to_string(receiver.currentOffer().chunkCount()) +
                        " chunks; no file stored" + (goneWhy_.empty() ? "" : " (" + goneWhy_ + ")");
    }
    return outcome;
  }
  if (!receiver.hasOffer() && outcome.verdict != Verdict::kRefused) return outcome;
  wire::Header header;
  header.type = wire::MessageType::kReport;
  header.streamId = kFileStreamId;
  header.sendTimeNs = static_cast<std::uint64_t>(wire::steadyNowNs());
  const wire::Bytes verdict = encodeReport(outcome.verdict, outcome.reason);
  // Known before any copy is sent: a send that fails (the sender gone, an
  // ICMP error after the first copy) must not leave the socket held by it.
  const bool letGo = lossy && options_.oneSenderAfterAnother;
  if (letGo) {
    served_ = Served{transport.peerAddress(), header, verdict, wire::steadyNowNs() + kLeftoverNs};
  }
  try {
    for (int i = 0; i < (lossy ? kVerdictCopiesOnLossyTransport : 1); ++i) {
      transport.sendMessage(header, verdict);
    }
    transport.flush(Poco::Timespan(2, 0));
    if (!lossy) {
      // Let the sender close first: it may still be sending (closing now
      // would reset a tcp connection before it reads the verdict), and over
      // rudp a verdict lost on the way is resent only while the connection
      // lives, however long the backoff. The sender closes once it has the
      // verdict; until then, read and discard, bounded in time.
      const std::int64_t untilNs = wire::steadyNowNs() + kWaitForSenderCloseNs;
      while (wire::steadyNowNs() < untilNs &&
             transport.receive(kPoll).kind != transport::Incoming::Kind::kClosed) {
      }
    }
  } catch (const transport::TransportError&) {
    // The sender is gone; the verdict here stands without it.
  }
  if (letGo) transport.forgetPeer();
  return outcome;
}

}  // namespace pigeon::filexfer
