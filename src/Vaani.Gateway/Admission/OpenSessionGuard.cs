using Microsoft.AspNetCore.Http;

namespace Vaani.Gateway.Admission;

/// <summary>
/// The guard without a control plane (loopback, single user): no authentication, pool admission
/// only. <c>vaani serve</c> refuses to bind a non-loopback address with this guard.
/// </summary>
public sealed class OpenSessionGuard(AdmissionController admission) : ISessionGuard
{
    public ValueTask<GuardResult> AdmitAsync(HttpContext context, SessionKind kind, string pool, int poolCapacity)
    {
        var admitted = admission.TryAdmit(PoolKey(kind, pool), poolCapacity);
        return ValueTask.FromResult(admitted.IsAdmitted
            ? GuardResult.Admit(new Ticket(admitted.Lease!))
            : GuardResult.Refuse(StatusCodes.Status503ServiceUnavailable, admitted.Code!, admitted.Message!, admitted.RetryAfter));
    }

    /// <summary>TTS sockets are counted apart from the TTS pool's per-request slots.</summary>
    public static string PoolKey(SessionKind kind, string pool) => kind == SessionKind.TtsStream ? "tts-sockets" : pool;

    private sealed class Ticket(AdmissionController.Lease lease) : ISessionTicket
    {
        public string Tenant => "default";
        public string? KeyId => null;
        public void RecordUsage(double audioSeconds, long characters, string model) { }

        /// <summary>
        /// Usage is recorded once the work is over (nothing to record here): the pool slot is freed
        /// now, as with a control plane, so a client that opens its next session the moment it sees
        /// this one close is not refused for it while this socket's handler is still ending.
        /// </summary>
        public ValueTask RecordUsageAsync(double audioSeconds, long characters, string model)
        {
            lease.Dispose();
            return ValueTask.CompletedTask;
        }

        public void Dispose() => lease.Dispose();
    }
}
