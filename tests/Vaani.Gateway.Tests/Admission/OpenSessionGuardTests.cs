using Microsoft.AspNetCore.Http;
using Vaani.Gateway.Admission;

namespace Vaani.Gateway.Tests.Admission;

public sealed class OpenSessionGuardTests
{
    [Fact]
    public async Task RecordUsage_FreesThePoolSlotBeforeTheTicketIsDisposed()
    {
        var admission = new AdmissionController();
        var guard = new OpenSessionGuard(admission);
        var first = await guard.AdmitAsync(new DefaultHttpContext(), SessionKind.SttStream, "stt-en", poolCapacity: 1);
        Assert.True(first.IsAdmitted);
        Assert.Equal(503, (await guard.AdmitAsync(new DefaultHttpContext(), SessionKind.SttStream, "stt-en", 1)).Status);

        // The session's work is over (usage recorded, session.closed about to go out) but its
        // socket's handler has not ended yet: the next session is admitted.
        await first.Ticket!.RecordUsageAsync(1.5, 0, "stt-en");
        var next = await guard.AdmitAsync(new DefaultHttpContext(), SessionKind.SttStream, "stt-en", 1);
        Assert.True(next.IsAdmitted, next.Message);

        first.Ticket.Dispose(); // the handler ends: the slot was already freed, and is not freed twice
        Assert.Equal(1, admission.ActiveIn("stt-en"));
        next.Ticket!.Dispose();
        Assert.Equal(0, admission.ActiveIn("stt-en"));
    }
}
