using Vaani.Engines.ESpeak;

namespace Vaani.Engines.Tests.ESpeak;

public sealed class WordTimingTrackerTests
{
    private const int Rate = 1000; // 1 sample per millisecond keeps the arithmetic readable

    private static (WordTimingTracker Tracker, SpeechActivity Activity) Create(string text, bool trim = true)
    {
        var activity = new SpeechActivity(Rate);
        return (new WordTimingTracker(text, new TextPositionMap(text, ssml: false), activity, trim), activity);
    }

    private static short[] Sound(int ms) => Enumerable.Repeat((short)5000, ms).ToArray();
    private static short[] Silence(int ms) => new short[ms];

    [Fact]
    public void TakeReady_WordsAnnouncedAheadOfAudio_WaitForTheirAudio()
    {
        var (tracker, activity) = Create("one two three");
        tracker.OnWord(1, 3, 0);
        tracker.OnWord(5, 3, 300);
        tracker.OnWord(9, 5, 600);
        activity.Append(Sound(200));
        Assert.Empty(tracker.TakeReady());
        activity.Append(Sound(150));
        var ready = tracker.TakeReady();
        Assert.Equal("one", Assert.Single(ready).Word);
        activity.Append(Sound(500));
        Assert.Equal("two", Assert.Single(tracker.TakeReady()).Word);
        var last = Assert.Single(tracker.Complete());
        Assert.Equal(("three", TimeSpan.FromMilliseconds(600), TimeSpan.FromMilliseconds(850)), (last.Word, last.Start, last.End));
    }

    [Fact]
    public void Complete_TrailingPauses_AreTrimmedFromWordEnds()
    {
        var (tracker, activity) = Create("hello world");
        tracker.OnWord(1, 5, 0);
        tracker.OnWord(7, 5, 900);
        activity.Append(Sound(400));
        activity.Append(Silence(500));
        activity.Append(Sound(300));
        activity.Append(Silence(200));
        var words = tracker.TakeReady().Concat(tracker.Complete()).ToList();
        Assert.Equal(TimeSpan.FromMilliseconds(400), words[0].End);
        Assert.Equal(TimeSpan.FromMilliseconds(1200), words[1].End);
    }

    [Fact]
    public void Complete_TrimDisabled_EndsAtNextStart()
    {
        var (tracker, activity) = Create("hello world", trim: false);
        tracker.OnWord(1, 5, 0);
        tracker.OnWord(7, 5, 900);
        activity.Append(Sound(400));
        activity.Append(Silence(1000));
        var words = tracker.Complete();
        Assert.Equal(TimeSpan.FromMilliseconds(900), words[0].End);
        Assert.Equal(TimeSpan.FromMilliseconds(1400), words[1].End);
    }

    [Fact]
    public void OnWord_ExpansionsOfOneToken_StayOneWord()
    {
        // eSpeak's events for "123 apples": (1,3) then (2,3) twice for "hundred", "twenty three".
        var (tracker, activity) = Create("123 apples");
        tracker.OnWord(1, 3, 0);
        tracker.OnWord(2, 3, 500);
        tracker.OnWord(2, 3, 900);
        tracker.OnWord(5, 6, 1300);
        tracker.OnWord(0, 0, 1700);
        activity.Append(Sound(1800));
        var words = tracker.TakeReady().Concat(tracker.Complete()).ToList();
        Assert.Equal(["123", "apples"], words.Select(w => w.Word));
        Assert.Equal(TimeSpan.FromMilliseconds(1300), words[0].End);
    }

    [Fact]
    public void OnWord_TimeGoingBackwards_IsClampedMonotonic()
    {
        var (tracker, activity) = Create("a b c");
        tracker.OnWord(1, 1, 500);
        tracker.OnWord(3, 1, 200);
        tracker.OnWord(5, 1, 700);
        activity.Append(Sound(1000));
        var words = tracker.Complete();
        Assert.Equal([500, 500, 700], words.Select(w => (int)w.Start.TotalMilliseconds));
        Assert.All(words, w => Assert.True(w.End >= w.Start));
    }

    [Fact]
    public void Complete_EventsBeyondTheAudio_AreClampedToIt()
    {
        var (tracker, activity) = Create("a b");
        tracker.OnWord(1, 1, 0);
        tracker.OnWord(3, 1, 5000);
        activity.Append(Sound(300));
        var words = tracker.Complete();
        Assert.All(words, w => Assert.True(w.End <= TimeSpan.FromMilliseconds(300)));
    }
}
