using System.CommandLine;
using Vaani.Cli.Commands;

var root = new RootCommand("Vaani: self-hostable real-time speech-to-text and text-to-speech")
{
    TranscribeCommand.Create(),
    SpeakCommand.Create(),
    VoicesCommand.Create(),
    ServeCommand.Create(),
    WorkerCommand.Create(),
    ControlCommand.Create(),
    GatewayCommand.Create(),
    AdminCommand.Create(),
};
return await CliRunner.InvokeAsync(root, args);
