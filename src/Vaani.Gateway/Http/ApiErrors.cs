using System.Globalization;
using Microsoft.AspNetCore.Http;

namespace Vaani.Gateway.Http;

/// <summary>The native API's error shape: <c>{"error":{"code","message"}}</c>, documented in docs/api.md.</summary>
public static class ApiErrors
{
    public static IResult Error(int status, string code, string message, TimeSpan? retryAfter = null) =>
        new ErrorResult(status, code, message, retryAfter);

    public static IResult BadRequest(string code, string message) => Error(StatusCodes.Status400BadRequest, code, message);

    private sealed class ErrorResult(int status, string code, string message, TimeSpan? retryAfter) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext)
        {
            httpContext.Response.StatusCode = status;
            if (retryAfter is { } r)
                httpContext.Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(r.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
            return httpContext.Response.WriteAsJsonAsync(new { error = new { code, message } });
        }
    }
}
