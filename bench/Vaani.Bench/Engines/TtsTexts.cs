namespace Vaani.Bench.Engines;

/// <summary>One paragraph per benchmarked language: several seconds of speech each.</summary>
internal static class TtsTexts
{
    /// <summary>(eSpeak voice / language code, paragraph).</summary>
    public static readonly IReadOnlyList<(string Language, string Text)> Paragraphs =
    [
        ("en", "Vaani is a self-hostable speech platform. It listens to audio as it arrives and answers with text, "
            + "and it turns text back into speech in many languages. This paragraph is long enough to take several "
            + "seconds to speak, so the benchmark can measure both how soon the first audio arrives and how fast "
            + "the whole passage is produced."),
        ("hi", "वाणी एक स्वयं होस्ट किया जाने वाला वाक् मंच है। यह आवाज़ को सुनता है और उसे पाठ में बदलता है, "
            + "और पाठ को फिर से आवाज़ में बदल देता है। यह अनुच्छेद इतना लंबा है कि इसे बोलने में कई सेकंड लगते हैं, "
            + "ताकि हम माप सकें कि पहली आवाज़ कितनी जल्दी आती है और पूरा अनुच्छेद कितनी तेज़ी से बनता है।"),
        ("ta", "வாணி என்பது தானே இயக்கக்கூடிய ஒரு பேச்சுத் தளம். இது ஒலியைக் கேட்டு அதை உரையாக மாற்றுகிறது, "
            + "மேலும் உரையை மீண்டும் ஒலியாக மாற்றுகிறது. இந்தப் பத்தி பேசுவதற்குப் பல வினாடிகள் ஆகும் அளவுக்கு நீளமானது, "
            + "எனவே முதல் ஒலி எவ்வளவு விரைவில் வருகிறது, முழுப் பத்தியும் எவ்வளவு வேகமாக உருவாகிறது என்பதை அளவிட முடியும்."),
    ];
}
