// Where each input channel is. A body channel is a contact sensor at a site, optionally at a
// known position along the spine (cm, any origin, increasing downwards or upwards as the user
// chose). An air channel is the room/laptop microphone used only as a reference: it feeds the
// decision but events are never reported on it (issue #8).
//
// Plain values, set once before the detector is built; channels past the end of the vectors are
// body sensors at an unknown position.
#pragma once

#include <cmath>
#include <cstddef>
#include <vector>

namespace popwatch {

struct SensorLayout {
    std::vector<bool> air;           // per channel: true = air reference
    std::vector<float> position_cm;  // per channel: NaN = unknown

    bool is_air(int channel) const {
        return channel >= 0 && static_cast<std::size_t>(channel) < air.size() && air[static_cast<std::size_t>(channel)];
    }
    float position(int channel) const {
        return channel >= 0 && static_cast<std::size_t>(channel) < position_cm.size()
                   ? position_cm[static_cast<std::size_t>(channel)]
                   : NAN;
    }
    // Body channels among the first `channels`.
    int body_channels(int channels) const {
        int n = 0;
        for (int c = 0; c < channels; ++c) n += !is_air(c);
        return n;
    }
};

}  // namespace popwatch
