using System.CommandLine;
using System.Text.Json;

namespace Vaani.Cli.Commands;

/// <summary><c>vaani voices</c>: every installed TTS voice.</summary>
internal static class VoicesCommand
{
    public static Command Create()
    {
        var json = new Option<bool>("--json") { Description = "Print JSON instead of a table" };
        var language = new Option<string?>("--language", "-l") { Description = "Only voices whose language starts with this code" };
        var command = new Command("voices", "List the installed text-to-speech voices") { json, language };
        command.SetAction(parse =>
        {
            var voices = LocalEngines.CreateTts().Capabilities.Voices
                .Where(v => parse.GetValue(language) is not { } l || v.Language.StartsWith(l, StringComparison.OrdinalIgnoreCase) || v.Id.StartsWith(l, StringComparison.OrdinalIgnoreCase))
                .OrderBy(v => v.Id, StringComparer.Ordinal)
                .ToArray();
            if (parse.GetValue(json))
            {
                Console.Out.WriteLine(JsonSerializer.Serialize(voices.Select(v => new { id = v.Id, name = v.Name, language = v.Language, gender = v.Gender }),
                    new JsonSerializerOptions { WriteIndented = true }));
                return ExitCodes.Ok;
            }
            Console.Out.WriteLine($"{"ID",-16} {"LANGUAGE",-10} {"GENDER",-8} NAME");
            foreach (var v in voices)
                Console.Out.WriteLine($"{v.Id,-16} {v.Language,-10} {v.Gender,-8} {v.Name}");
            return ExitCodes.Ok;
        });
        return command;
    }
}
