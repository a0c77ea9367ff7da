#pragma once

// Small deterministic random numbers for the log generator. The standard library's engines are
// portable but its distributions are not (their algorithms are left to each implementation), so
// the generator carries its own: the same seed gives the same bytes with any compiler.

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace llmaudit::loggen {

// One step of splitmix64: a good 64-bit mixer, used to seed and to derive independent streams.
constexpr uint64_t splitmix64(uint64_t &state)
{
    uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

// A well-mixed hash of a few integers: the seed of the stream for one session, one turn, ...
constexpr uint64_t mix(uint64_t a, uint64_t b, uint64_t c = 0, uint64_t d = 0)
{
    uint64_t state = a;
    uint64_t h = splitmix64(state);
    state = h ^ b;
    h = splitmix64(state);
    state = h ^ c;
    h = splitmix64(state);
    state = h ^ d;
    return splitmix64(state);
}

// xoshiro256** (Blackman and Vigna).
class Rng
{
public:
    explicit Rng(uint64_t seed)
    {
        for (uint64_t &word : m_s)
            word = splitmix64(seed);
    }

    uint64_t next()
    {
        const uint64_t result = rotl(m_s[1] * 5, 7) * 9;
        const uint64_t t = m_s[1] << 17;
        m_s[2] ^= m_s[0];
        m_s[3] ^= m_s[1];
        m_s[1] ^= m_s[2];
        m_s[0] ^= m_s[3];
        m_s[2] ^= t;
        m_s[3] = rotl(m_s[3], 45);
        return result;
    }

    // Uniform in [0, 1).
    double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
    double uniform(double lo, double hi) { return lo + (hi - lo) * uniform(); }

    // Uniform integer in [lo, hi] (Lemire's multiply-shift; the bias is far below what matters).
    int64_t range(int64_t lo, int64_t hi)
    {
        const auto span = static_cast<Uint128>(static_cast<uint64_t>(hi - lo) + 1);
        const auto product = static_cast<Uint128>(next()) * span;
        return lo + static_cast<int64_t>(static_cast<uint64_t>(product >> 64));
    }
    std::size_t index(std::size_t size)
    {
        return static_cast<std::size_t>(range(0, static_cast<int64_t>(size) - 1));
    }

    bool chance(double probability) { return uniform() < probability; }

    // Standard normal by Box-Muller.
    double normal()
    {
        const double u1 = 1.0 - uniform(); // (0, 1]
        const double u2 = uniform();
        return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
    }
    double normal(double mean, double sd) { return mean + sd * normal(); }

    // Log-normal with the given median; sigma is the spread of the logarithm.
    double logNormal(double median, double sigma) { return median * std::exp(sigma * normal()); }

    template<class T>
    const T &pick(std::span<const T> items)
    {
        return items[index(items.size())];
    }
    std::string_view pick(std::span<const std::string_view> items)
    {
        return items[index(items.size())];
    }

    // Index drawn with the given relative weights.
    std::size_t weighted(std::span<const double> weights)
    {
        double total = 0;
        for (double w : weights)
            total += w;
        double x = uniform() * total;
        for (std::size_t i = 0; i < weights.size(); ++i) {
            if (x < weights[i])
                return i;
            x -= weights[i];
        }
        return weights.size() - 1;
    }

private:
    __extension__ typedef unsigned __int128 Uint128; // GCC and Clang; -Wpedantic knows it

    static constexpr uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

    uint64_t m_s[4] = {};
};

} // namespace llmaudit::loggen
