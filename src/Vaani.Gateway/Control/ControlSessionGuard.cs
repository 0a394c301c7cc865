using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Vaani.Control.Admission;
using Vaani.Control.Auth;
using Vaani.Control.Domain;
using Vaani.Control.Usage;
using Vaani.Gateway.Admission;

namespace Vaani.Gateway.Control;

/// <summary>
/// The edge guard with a control plane. In order, all against memory: authentication
/// (<c>Authorization: Token|Bearer &lt;key&gt;</c> or <c>?token=</c>) against the snapshot and the
/// scope the kind needs; the key's rate limit; the tenant's daily/monthly quota; the tenant's
/// concurrency limit; then pool admission. Refusals: 401/403 (auth), 429 + Retry-After (limits and
/// quotas, the code and message name the limit), 503 (control state too old, spool full, pool full).
/// </summary>
public sealed partial class ControlSessionGuard(EdgeControl control, AdmissionController admission, ILogger<ControlSessionGuard> logger) : ISessionGuard
{
    /// <summary>Refuse new sessions when the spool is this close to full (usage could not be recorded).</summary>
    private const double SpoolRefuseFraction = 0.95;

    public ValueTask<GuardResult> AdmitAsync(HttpContext context, SessionKind kind, string pool, int poolCapacity)
        => ValueTask.FromResult(Admit(context, kind, pool, poolCapacity));

    private GuardResult Admit(HttpContext context, SessionKind kind, string pool, int poolCapacity)
    {
        var usageKind = kind is SessionKind.SttStream or SessionKind.SttBatch ? UsageKind.Stt : UsageKind.Tts;
        var scope = usageKind == UsageKind.Stt ? ApiKeyScopes.Stt : ApiKeyScopes.Tts;
        var (principal, refused, snapshotQuotas) = Authenticate(context, scope);
        if (principal is null) return refused!;

        var quota = control.Quotas.Check(principal.Tenant, usageKind, control.Snapshots.Current);
        if (!quota.Allowed)
            return GuardResult.Refuse(StatusCodes.Status429TooManyRequests, "quota_exceeded", $"Tenant {principal.Tenant}: {quota.Describe()}", quota.RetryAfter);

        if (control.Spool.PendingBytes > control.Options.Spool.MaxBytes * SpoolRefuseFraction)
            return GuardResult.Refuse(StatusCodes.Status503ServiceUnavailable, "usage_spool_full",
                "This node cannot record usage (its spool is full because delivery to the control plane keeps failing); retry on another node.", TimeSpan.FromSeconds(30));

        int? limit = usageKind == UsageKind.Stt ? snapshotQuotas.MaxConcurrentStt : snapshotQuotas.MaxConcurrentTts;
        var slot = control.Concurrency.TryAcquire(principal.Tenant, usageKind, limit);
        if (slot is null)
        {
            var name = usageKind == UsageKind.Stt ? "max_concurrent_stt" : "max_concurrent_tts";
            return GuardResult.Refuse(StatusCodes.Status429TooManyRequests, "concurrency_limit",
                $"Tenant {principal.Tenant} has {limit} concurrent {(usageKind == UsageKind.Stt ? "speech-to-text" : "text-to-speech")} sessions, its {name} limit; end one or retry later.", TimeSpan.FromSeconds(1));
        }

        var admitted = admission.TryAdmit(OpenSessionGuard.PoolKey(kind, pool), poolCapacity);
        if (!admitted.IsAdmitted)
        {
            slot.Dispose();
            return GuardResult.Refuse(StatusCodes.Status503ServiceUnavailable, admitted.Code!, admitted.Message!, admitted.RetryAfter);
        }

        return GuardResult.Admit(new Ticket(this, principal, usageKind, slot, admitted.Lease!));
    }

    /// <summary>
    /// Authentication plus the key's rate limit, shared by session admission and token issuance.
    /// Returns the principal or a refusal.
    /// </summary>
    internal (AuthenticatedKey? Principal, GuardResult? Refusal, TenantQuotas Quotas) Authenticate(HttpContext context, ApiKeyScopes scope)
    {
        var snapshot = control.Snapshots.Current;
        var query = context.Request.Query.TryGetValue("token", out var t) ? t.ToString() : null;
        var auth = control.Authenticator.Authenticate(context.Request.Headers.Authorization.ToString(), scope, snapshot, query);
        if (!auth.Succeeded)
        {
            var failure = auth.Failure!.Value;
            var status = failure.HttpStatus();
            if (status == StatusCodes.Status401Unauthorized) context.Response.Headers.WWWAuthenticate = "Token";
            if (failure == AuthFailureCode.UnknownKey) control.Snapshots.RequestRefreshThrottled();
            return (null, GuardResult.Refuse(status, failure.ToWire(), auth.Message, status == StatusCodes.Status503ServiceUnavailable ? TimeSpan.FromSeconds(5) : null), TenantQuotas.Unlimited);
        }

        var principal = auth.Principal!;
        var quotas = snapshot.QuotasFor(principal.Tenant);
        var rate = control.RateLimits.TryAcquire(principal.KeyId, quotas.RequestsPerSecondPerKey);
        if (!rate.Allowed)
            return (null, GuardResult.Refuse(StatusCodes.Status429TooManyRequests, "rate_limited",
                $"API key {principal.KeyId} is over its requests_per_second_per_key limit of {quotas.RequestsPerSecondPerKey:0.##}.", rate.RetryAfter ?? TimeSpan.FromSeconds(1)), quotas);
        return (principal, null, quotas);
    }

    private void Record(AuthenticatedKey principal, UsageKind kind, double audioSeconds, long characters, string model)
    {
        // Nothing was used (refused after admission, or an empty request): no event, no fsync.
        if (audioSeconds <= 0 && characters <= 0) return;
        var usage = new UsageEvent("ue_" + Guid.NewGuid().ToString("N"), principal.Tenant, principal.KeyId, kind,
            Math.Round(Math.Max(0, audioSeconds), 3), Math.Max(0, characters), model, control.Time.GetUtcNow());
        try
        {
            control.Spool.Append(usage);
            control.Quotas.RecordPending(usage);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ControlException)
        {
            // The session already ran; the failure is logged with the event so it can be recovered by hand.
            LogRecordFailed(logger, usage.EventId, principal.Tenant.Value, kind, usage.AudioSeconds, usage.Characters, ex);
        }
    }

    [LoggerMessage(EventId = 7310, Level = LogLevel.Error, Message = "Usage event {EventId} (tenant {Tenant}, {Kind}, {AudioSeconds} s, {Characters} chars) could not be spooled")]
    private static partial void LogRecordFailed(ILogger logger, string eventId, string tenant, UsageKind kind, double audioSeconds, long characters, Exception error);

    private sealed class Ticket(ControlSessionGuard guard, AuthenticatedKey principal, UsageKind kind, ConcurrencyLease slot, AdmissionController.Lease lease) : ISessionTicket
    {
        private int _recorded;
        private int _released;

        public string Tenant => principal.Tenant.Value;

        public string? KeyId => principal.KeyId.Value;

        public void RecordUsage(double audioSeconds, long characters, string model)
        {
            // One event per ticket: a request's usage is recorded once, however its handler ends.
            if (Interlocked.Exchange(ref _recorded, 1) == 0) guard.Record(principal, kind, audioSeconds, characters, model);
        }

        public ValueTask RecordUsageAsync(double audioSeconds, long characters, string model)
        {
            // Usage is recorded once the work is over: free the slots at once, before the durable
            // record (an fsync, on a pool thread when called from an event loop), so a client that
            // opens its next session the moment it sees this one close is not refused for it.
            Release();
            return ISessionTicket.OffEventLoop(() => RecordUsage(audioSeconds, characters, model));
        }

        public void Dispose() => Release();

        private void Release()
        {
            if (Interlocked.Exchange(ref _released, 1) != 0) return;
            lease.Dispose();
            slot.Dispose();
        }
    }
}
