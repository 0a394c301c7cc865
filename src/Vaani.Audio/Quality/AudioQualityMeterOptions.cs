namespace Vaani.Audio.Quality;

/// <summary>Thresholds of an <see cref="AudioQualityMeter"/>.</summary>
public sealed record AudioQualityMeterOptions
{
    /// <summary>20 ms windows, silence below -50 dBFS, clipping at or above 0.999 of full scale.</summary>
    public static readonly AudioQualityMeterOptions Default = new();

    /// <summary>Length of the windows silence is judged on.</summary>
    public TimeSpan WindowDuration { get; init; } = TimeSpan.FromMilliseconds(20);

    /// <summary>A window whose RMS is below this level (dBFS) is silent.</summary>
    public double SilenceThresholdDbfs { get; init; } = -50;

    /// <summary>Absolute sample value at or above which a sample counts as clipped.</summary>
    public float ClipLevel { get; init; } = 0.999f;
}
