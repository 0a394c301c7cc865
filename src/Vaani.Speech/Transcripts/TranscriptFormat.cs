namespace Vaani.Speech.Transcripts;

/// <summary>Output formats for a finished transcript.</summary>
public enum TranscriptFormat
{
    Text,
    Json,
    Srt,
    Vtt,
}
