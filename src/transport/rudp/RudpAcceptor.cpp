#include "transport/rudp/RudpAcceptor.h"

#include "transport/UdpTransport.h"

#include <chrono>
#include <random>

namespace pigeon::transport::rudp {

namespace {
std::uint64_t randomU64() {
  std::random_device device;
  return (std::uint64_t{device()} << 32) | device();
}
}  // namespace

RudpAcceptor::RudpAcceptor(const Poco::Net::SocketAddress& local, const RudpOptions& options)
    : options_(options) {
  Poco::Net::DatagramSocket socket(local.family());
  bindDatagramSocket(socket, local);
  io_ = std::make_shared<RudpIoThread>(
      std::move(socket), options, [&options](RudpEndpoint::Transmit transmit) {
        return std::make_unique<RudpEndpoint>(options, CookieMinter::randomSecret(),
                                              std::move(transmit), randomU64);
      });
  io_->start();
}

RudpAcceptor::~RudpAcceptor() { io_->stopListening(); }

std::unique_ptr<RudpTransport> RudpAcceptor::acceptRudp(Poco::Timespan timeout) {
  const auto deadline =
      RudpIoThread::Clock::now() +
      std::chrono::microseconds(std::max<Poco::Timespan::TimeDiff>(0, timeout.totalMicroseconds()));
  auto accepted = io_->accept(deadline);
  if (!accepted) return nullptr;
  return std::make_unique<RudpTransport>(io_, std::move(*accepted), options_, false);
}

RudpEndpoint::Counters RudpAcceptor::counters() const {
  std::lock_guard lock(io_->mutex());
  return io_->endpoint().counters();
}

std::size_t RudpAcceptor::connectionCount() const {
  std::lock_guard lock(io_->mutex());
  return io_->endpoint().connectionCount();
}

}  // namespace pigeon::transport::rudp
