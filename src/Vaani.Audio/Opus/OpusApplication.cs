namespace Vaani.Audio.Opus;

/// <summary>The coding mode an Opus encoder is tuned for (libopus <c>OPUS_APPLICATION_*</c>).</summary>
public enum OpusApplication
{
    /// <summary>Speech: favours intelligibility at low bitrates.</summary>
    Voip = 2048,
    /// <summary>General audio: favours fidelity to the input.</summary>
    Audio = 2049,
    /// <summary>Lowest algorithmic delay; disables the speech-optimised modes.</summary>
    RestrictedLowDelay = 2051,
}
