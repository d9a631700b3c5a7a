// A lock-free single-producer / single-consumer ring of float samples: the only thing shared
// between the audio callback (producer) and the analysis thread (consumer).
//
// The pattern of PortAudio's PaUtilRingBuffer and Bencina's real-time rules, in C++20 atomics:
// the capacity is a power of two (indices wrap with a mask, never a modulo), each side owns one
// index and publishes it with a release store, and reads the other side's with an acquire load.
// Memory is allocated once, in the constructor; write() and read() never allocate, lock or block.
// A write that does not fit is cut to what fits and the rest is *counted* (overruns()), never
// silently dropped. Writes and reads move whole frames (`granule` samples) so that interleaved
// channels never slip.
#pragma once

#include <algorithm>
#include <atomic>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <vector>

namespace popwatch {

class SampleRing {
   public:
    // Capacity in samples, rounded up to a power of two.
    explicit SampleRing(std::size_t min_capacity)
        : buffer_(std::bit_ceil(std::max<std::size_t>(min_capacity, 2))), mask_(buffer_.size() - 1) {}
    SampleRing(const SampleRing&) = delete;
    SampleRing& operator=(const SampleRing&) = delete;

    std::size_t capacity() const { return buffer_.size(); }

    // Producer side. Copies as many whole granules of `samples` as fit and returns the number of
    // samples written; the samples that did not fit are added to overruns().
    std::size_t write(std::span<const float> samples, std::size_t granule = 1) {
        const std::size_t head = head_.load(std::memory_order_relaxed);  // ours
        const std::size_t tail = tail_.load(std::memory_order_acquire);  // theirs
        std::size_t n = std::min(samples.size(), capacity() - (head - tail));
        n -= n % granule;
        copy_in(head, samples.first(n));
        head_.store(head + n, std::memory_order_release);
        if (n < samples.size()) overruns_.fetch_add(samples.size() - n, std::memory_order_relaxed);
        return n;
    }

    // Consumer side. Copies up to out.size() samples (whole granules) and returns how many.
    std::size_t read(std::span<float> out, std::size_t granule = 1) {
        const std::size_t tail = tail_.load(std::memory_order_relaxed);  // ours
        const std::size_t head = head_.load(std::memory_order_acquire);  // theirs
        std::size_t n = std::min(out.size(), head - tail);
        n -= n % granule;
        copy_out(tail, out.first(n));
        tail_.store(tail + n, std::memory_order_release);
        return n;
    }

    // Samples waiting to be read (exact for the consumer, a lower bound for anyone else).
    std::size_t available() const {
        return head_.load(std::memory_order_acquire) - tail_.load(std::memory_order_acquire);
    }
    // Samples the producer could not write because the ring was full.
    std::uint64_t overruns() const { return overruns_.load(std::memory_order_relaxed); }

    // Forget what is buffered. Only while neither side is running (between streams).
    void reset() {
        head_.store(0, std::memory_order_relaxed);
        tail_.store(0, std::memory_order_relaxed);
        overruns_.store(0, std::memory_order_relaxed);
    }

   private:
    // At most two memcpy per call: up to the end of the buffer, then from its start.
    void copy_in(std::size_t at, std::span<const float> from) {
        if (from.empty()) return;
        const std::size_t start = at & mask_, first = std::min(from.size(), capacity() - start);
        std::memcpy(buffer_.data() + start, from.data(), first * sizeof(float));
        std::memcpy(buffer_.data(), from.data() + first, (from.size() - first) * sizeof(float));
    }
    void copy_out(std::size_t at, std::span<float> to) const {
        if (to.empty()) return;
        const std::size_t start = at & mask_, first = std::min(to.size(), capacity() - start);
        std::memcpy(to.data(), buffer_.data() + start, first * sizeof(float));
        std::memcpy(to.data() + first, buffer_.data(), (to.size() - first) * sizeof(float));
    }

    std::vector<float> buffer_;
    std::size_t mask_;
    // Free-running indices (wrap at 2^64, never in practice); each on its own cache line so the
    // two threads do not false-share.
    alignas(64) std::atomic<std::size_t> head_{0};  // written by the producer
    alignas(64) std::atomic<std::size_t> tail_{0};  // written by the consumer
    alignas(64) std::atomic<std::uint64_t> overruns_{0};
};

static_assert(std::atomic<std::size_t>::is_always_lock_free);
static_assert(std::atomic<std::uint64_t>::is_always_lock_free);

}  // namespace popwatch
