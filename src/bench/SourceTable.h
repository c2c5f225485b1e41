#pragma once

#include <cstddef>
#include <list>
#include <string>
#include <unordered_map>
#include <utility>

namespace pigeon::bench {

// A table of per-source state that never holds more than `capacity`
// entries: when full, a new source takes the place of the one used least
// recently, so a flood of sources costs no memory beyond the cap. Lookups
// and evictions are O(1). Not thread safe.
template <typename Value>
class SourceTable {
 public:
  explicit SourceTable(std::size_t capacity) : capacity_(capacity == 0 ? 1 : capacity) {}

  // The entry for `key`, made by `make()` if there is none, and marked as
  // used most recently. `created` tells which.
  template <typename Make>
  Value& touch(const std::string& key, Make&& make, bool& created) {
    auto found = index_.find(key);
    if (found != index_.end()) {
      order_.splice(order_.begin(), order_, found->second);
      created = false;
      return found->second->second;
    }
    if (order_.size() >= capacity_) {
      index_.erase(order_.back().first);
      order_.pop_back();
    }
    order_.emplace_front(key, make());
    index_.emplace(key, order_.begin());
    created = true;
    return order_.front().second;
  }

  std::size_t size() const { return order_.size(); }

 private:
  using Order = std::list<std::pair<std::string, Value>>;
  std::size_t capacity_;
  Order order_;  // most recently used first
  std::unordered_map<std::string, typename Order::iterator> index_;
};

}  // namespace pigeon::bench
