namespace Vaani.Engines;

/// <summary>An event from a synthesis request.</summary>
public abstract record TtsEvent;

/// <summary>Synthesised audio in the engine's native format.</summary>
public sealed record TtsAudio(ReadOnlyMemory<byte> Audio) : TtsEvent;

/// <summary>
/// A spoken word: its time span in the output audio and where it came from in the request text
/// (<see cref="TextOffset"/>/<see cref="TextLength"/> in UTF-16 code units of <see cref="TtsRequest.Text"/>).
/// </summary>
public sealed record TtsWord(string Word, TimeSpan Start, TimeSpan End, int TextOffset, int TextLength) : TtsEvent;
