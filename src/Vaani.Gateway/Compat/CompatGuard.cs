using System.Globalization;
using Microsoft.AspNetCore.Http;
using Vaani.Gateway.Admission;
using Vaani.Gateway.Compat.Deepgram;
using Vaani.Gateway.Compat.OpenAI;

namespace Vaani.Gateway.Compat;

/// <summary>
/// Runs the same edge guard as the native API (auth, tenant limits, pool admission) and renders a
/// refusal in each compatible API's own error shape, with Retry-After when it applies.
/// </summary>
internal static class CompatGuard
{
    public static IResult DeepgramRefusal(HttpContext ctx, GuardResult refused, string requestId)
    {
        SetRetryAfter(ctx, refused);
        var code = refused.Status switch
        {
            401 => "INVALID_AUTH",
            403 => "INSUFFICIENT_PERMISSIONS",
            _ => "TOO_MANY_REQUESTS",
        };
        // Deepgram answers capacity limits with 429; keep 401/403 as they are.
        int status = refused.Status is 401 or 403 ? refused.Status : StatusCodes.Status429TooManyRequests;
        return DeepgramErrors.Error(status, code, $"{refused.Message} ({refused.Code})", requestId);
    }

    public static IResult OpenAiRefusal(HttpContext ctx, GuardResult refused)
    {
        SetRetryAfter(ctx, refused);
        return refused.Status switch
        {
            401 => OpenAiErrors.Error(401, refused.Message!, "invalid_request_error", null, "invalid_api_key"),
            403 => OpenAiErrors.Error(403, refused.Message!, "invalid_request_error", null, refused.Code),
            _ => OpenAiErrors.Error(StatusCodes.Status429TooManyRequests, refused.Message!, "rate_limit_exceeded", null, refused.Code),
        };
    }

    private static void SetRetryAfter(HttpContext ctx, GuardResult refused)
    {
        if (refused.RetryAfter is { } r)
            ctx.Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(r.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
    }
}
