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

std::shared_ptr<RudpIoThread> listening(Poco::Net::DatagramSocket socket,
                                        const RudpOptions& options, RudpIoThread::Reading reading) {
  auto io = std::make_shared<RudpIoThread>(
      std::move(socket), options,
      [&options](RudpEndpoint::Transmit transmit) {
        return std::make_unique<RudpEndpoint>(options, CookieMinter::randomSecret(),
                                              std::move(transmit), randomU64);
      },
      reading);
  io->start();
  return io;
}

Poco::Net::DatagramSocket boundTo(const Poco::Net::SocketAddress& local) {
  Poco::Net::DatagramSocket socket(local.family());
  bindDatagramSocket(socket, local);
  return socket;
}

}  // namespace

RudpAcceptor::RudpAcceptor(const Poco::Net::SocketAddress& local, const RudpOptions& options)
    : options_(options),
      io_(listening(boundTo(local), options, RudpIoThread::Reading::kOwnSocket)) {}

RudpAcceptor::RudpAcceptor(const Poco::Net::DatagramSocket& shared, const RudpOptions& options)
    : options_(options), io_(listening(shared, options, RudpIoThread::Reading::kHandedIn)) {}

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
