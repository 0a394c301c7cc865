using System.Globalization;
using System.Xml;

namespace Vaani.Engines.ESpeak;

/// <summary>Checks a request before it reaches the native library; every failure is permanent and says what was wrong.</summary>
internal static class TtsRequestValidator
{
    public const double MinRate = 0.25;
    public const double MaxRate = 4.0;

    public static void Validate(TtsRequest request, EspeakOptions options)
    {
        var text = request.Text;
        if (string.IsNullOrWhiteSpace(text))
            throw Invalid("empty_text", "text is empty: send at least one character to speak");
        if (text.Length > options.MaxTextLength)
            throw Invalid("text_too_long", string.Create(CultureInfo.InvariantCulture,
                $"text is {text.Length} characters long; the limit is {options.MaxTextLength}"));
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c == '\0')
                throw Invalid("invalid_text", string.Create(CultureInfo.InvariantCulture, $"text contains a NUL character at offset {i}"));
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
                i++;
            else if (char.IsSurrogate(c))
                throw Invalid("invalid_text", string.Create(CultureInfo.InvariantCulture,
                    $"text contains an unpaired UTF-16 surrogate (U+{(int)c:X4}) at offset {i}: it is not valid Unicode"));
        }
        if (double.IsNaN(request.Rate) || request.Rate < MinRate || request.Rate > MaxRate)
            throw Invalid("invalid_rate", string.Create(CultureInfo.InvariantCulture,
                $"rate {request.Rate} is out of range: it must be between {MinRate} and {MaxRate}"));
        if (request.Pitch is < 0 or > 100)
            throw Invalid("invalid_pitch", string.Create(CultureInfo.InvariantCulture,
                $"pitch {request.Pitch} is out of range: it must be between 0 and 100"));
        if (request.IsSsml && options.ValidateSsml)
            ValidateSsml(text);
    }

    private static void ValidateSsml(string ssml)
    {
        var settings = new XmlReaderSettings
        {
            DtdProcessing = DtdProcessing.Prohibit,
            XmlResolver = null,
            IgnoreComments = true,
            IgnoreProcessingInstructions = true,
        };
        try
        {
            using var reader = XmlReader.Create(new StringReader(ssml), settings);
            reader.MoveToContent();
            if (reader.NodeType != XmlNodeType.Element || reader.LocalName != "speak")
                throw Invalid("invalid_ssml", $"SSML must have a <speak> root element, found <{reader.Name}>");
            while (reader.Read())
            {
            }
        }
        catch (XmlException e)
        {
            throw Invalid("invalid_ssml", string.Create(CultureInfo.InvariantCulture,
                $"SSML is not well-formed XML at line {e.LineNumber}, position {e.LinePosition}: {e.Message}"), e);
        }
    }

    private static EngineException Invalid(string code, string message, Exception? inner = null) =>
        new(code, message, isPermanent: true, inner);
}
