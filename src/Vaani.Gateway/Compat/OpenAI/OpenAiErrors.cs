using Microsoft.AspNetCore.Http;

namespace Vaani.Gateway.Compat.OpenAI;

/// <summary>OpenAI's error shape: <c>{"error":{"message","type","param","code"}}</c>.</summary>
internal static class OpenAiErrors
{
    public static IResult Invalid(string message, string? param, string? code = "invalid_value") =>
        Error(StatusCodes.Status400BadRequest, message, "invalid_request_error", param, code);

    public static IResult Error(int status, string message, string type, string? param, string? code) => new ErrorResult(status, message, type, param, code);

    public static object Body(string message, string type, string? param, string? code) => new { error = new { message, type, param, code } };

    private sealed class ErrorResult(int status, string message, string type, string? param, string? code) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext)
        {
            httpContext.Response.StatusCode = status;
            // Nulls are part of OpenAI's shape (param/code null), so the default serializer is used.
            return httpContext.Response.WriteAsJsonAsync(Body(message, type, param, code));
        }
    }
}
