namespace Vaani.Engines.ESpeak;

/// <summary>
/// Which 10 ms frames of a synthesis output held sound. Word ends are trimmed against it so a
/// word's span does not swallow the pause (or SSML break) that follows it. Frames older than the
/// oldest word still waiting for its end are discarded, so memory stays bounded by the longest
/// pending word, not by the length of the request.
/// </summary>
internal sealed class SpeechActivity
{
    // Peak level below which a frame counts as silence: eSpeak's pauses are digital silence or
    // a faint tail, speech peaks are thousands.
    private const int SilencePeak = 256;

    private readonly int _samplesPerFrame;
    private readonly int _sampleRate;
    private readonly List<bool> _frames = [];
    private long _firstFrame;
    private int _framePeak;
    private int _frameFill;

    public SpeechActivity(int sampleRate)
    {
        _sampleRate = sampleRate;
        _samplesPerFrame = Math.Max(1, sampleRate / 100);
    }

    /// <summary>Samples appended so far.</summary>
    public long Samples { get; private set; }

    /// <summary>Duration of the audio appended so far.</summary>
    public TimeSpan Duration => TimeSpan.FromSeconds((double)Samples / _sampleRate);

    public void Append(ReadOnlySpan<short> samples)
    {
        foreach (var s in samples)
        {
            var level = Math.Abs((int)s);
            if (level > _framePeak)
                _framePeak = level;
            Samples++;
            if (++_frameFill == _samplesPerFrame)
            {
                _frames.Add(_framePeak > SilencePeak);
                _framePeak = 0;
                _frameFill = 0;
            }
        }
    }

    /// <summary>
    /// The end of the last frame with sound inside [<paramref name="from"/>, <paramref name="to"/>),
    /// or null when the range held no sound (or has been discarded).
    /// </summary>
    public TimeSpan? LastSoundWithin(TimeSpan from, TimeSpan to)
    {
        var first = Math.Max(FrameAt(from), _firstFrame);
        var last = Math.Min(FrameAt(to), _firstFrame + _frames.Count) - 1;
        for (var f = last; f >= first; f--)
        {
            if (_frames[(int)(f - _firstFrame)])
                return TimeSpan.FromSeconds((double)(f + 1) * _samplesPerFrame / _sampleRate);
        }
        return null;
    }

    /// <summary>Forgets frames that end before <paramref name="time"/>.</summary>
    public void DiscardBefore(TimeSpan time)
    {
        var drop = (int)Math.Min(FrameAt(time) - _firstFrame, _frames.Count);
        if (drop <= 0)
            return;
        _frames.RemoveRange(0, drop);
        _firstFrame += drop;
    }

    private long FrameAt(TimeSpan time) => (long)(time.TotalSeconds * _sampleRate / _samplesPerFrame);
}
