namespace Vaani.Audio.Quality;

/// <summary>Audio-quality signals of a stream, as reported per session.</summary>
/// <param name="Duration">Audio measured.</param>
/// <param name="PeakDbfs">Largest absolute sample in dBFS; -∞ for digital silence.</param>
/// <param name="RmsDbfs">RMS level over the whole stream in dBFS; a full-scale sine reads -3 dBFS.</param>
/// <param name="ClippingRatio">Fraction of samples at or above the clip level.</param>
/// <param name="SilenceRatio">Fraction of audio in windows below the silence threshold.</param>
public sealed record AudioQualityReport(TimeSpan Duration, double PeakDbfs, double RmsDbfs, double ClippingRatio, double SilenceRatio);
