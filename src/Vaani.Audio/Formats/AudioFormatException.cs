namespace Vaani.Audio;

/// <summary>
/// Audio that cannot be accepted: an invalid format, a malformed or truncated container,
/// or input over a documented limit. The message says what was wrong and is safe to show a client.
/// </summary>
public sealed class AudioFormatException : Exception
{
    public AudioFormatException(string message) : base(message) { }
    public AudioFormatException(string message, Exception inner) : base(message, inner) { }
}
