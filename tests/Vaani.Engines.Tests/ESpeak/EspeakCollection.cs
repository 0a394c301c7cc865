namespace Vaani.Engines.Tests.ESpeak;

/// <summary>
/// Tests that drive the process's single eSpeak synthesizer run one class at a time, so timing
/// comparisons and queue-limit tests do not see each other's requests.
/// </summary>
[CollectionDefinition(Name)]
public sealed class EspeakCollection
{
    public const string Name = "espeak-ng";
}
