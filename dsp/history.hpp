// Fixed-capacity history of a stream, addressed by absolute index (sample or cell number).
// Capacity is a power of two so indexing is a mask; memory is allocated once, at construction.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace popwatch {

template <class T>
class History {
   public:
    // `missing` is what at() returns for indices not held (e.g. -200 dB for an energy history).
    explicit History(std::size_t min_capacity = 1, T missing = T{}) : missing_(missing) {
        std::size_t cap = 1;
        while (cap < min_capacity) cap *= 2;
        buffer_.assign(cap, missing);
        mask_ = cap - 1;
    }

    void push(T value) {
        buffer_[static_cast<std::size_t>(end_) & mask_] = value;
        ++end_;
    }

    // Appends values (at most capacity() of them), in at most two contiguous copies.
    void push(std::span<const T> values) {
        const std::size_t at = static_cast<std::size_t>(end_) & mask_;
        const std::size_t first = std::min(values.size(), buffer_.size() - at);
        std::copy_n(values.begin(), first, buffer_.begin() + static_cast<std::ptrdiff_t>(at));
        std::copy(values.begin() + static_cast<std::ptrdiff_t>(first), values.end(), buffer_.begin());
        end_ += static_cast<std::int64_t>(values.size());
    }

    std::int64_t end() const { return end_; }  // one past the newest index
    std::int64_t begin() const { return std::max<std::int64_t>(0, end_ - capacity()); }
    std::int64_t capacity() const { return static_cast<std::int64_t>(buffer_.size()); }
    bool holds(std::int64_t i) const { return i >= begin() && i < end_; }

    // The value at absolute index i, or `missing` when it is no longer (or not yet) held.
    T at(std::int64_t i) const { return holds(i) ? buffer_[static_cast<std::size_t>(i) & mask_] : missing_; }

    // [start, start + n) as at most two contiguous runs, in order, when all of it is held; false
    // (and the runs untouched) when some of it is not.
    bool runs(std::int64_t start, std::int64_t n, std::span<const T>& first, std::span<const T>& second) const {
        if (n <= 0 || !holds(start) || !holds(start + n - 1)) return false;
        const std::size_t at = static_cast<std::size_t>(start) & mask_;
        const std::size_t len = std::min(static_cast<std::size_t>(n), buffer_.size() - at);
        first = {buffer_.data() + at, len};
        second = {buffer_.data(), static_cast<std::size_t>(n) - len};
        return true;
    }

    // Copies [start, start + out.size()) into out; indices not held read as `missing`.
    void copy(std::int64_t start, std::span<T> out) const {
        std::span<const T> first, second;
        if (runs(start, static_cast<std::int64_t>(out.size()), first, second)) {  // the usual case
            std::copy(first.begin(), first.end(), out.begin());
            std::copy(second.begin(), second.end(), out.begin() + static_cast<std::ptrdiff_t>(first.size()));
            return;
        }
        for (std::size_t k = 0; k < out.size(); ++k) out[k] = at(start + static_cast<std::int64_t>(k));
    }

   private:
    T missing_;
    std::vector<T> buffer_;
    std::size_t mask_ = 0;
    std::int64_t end_ = 0;
};

}  // namespace popwatch
