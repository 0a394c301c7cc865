using Microsoft.AspNetCore.Http;

namespace Vaani.Gateway.Compat.Deepgram;

/// <summary>
/// Deepgram's REST error shape, <c>{"err_code","err_msg","request_id"}</c>, with the
/// <c>dg-request-id</c> and <c>dg-error</c> headers Deepgram sets (also on refused WebSocket upgrades).
/// </summary>
internal static class DeepgramErrors
{
    public static IResult Error(int status, string code, string message, string requestId) => new ErrorResult(status, code, message, requestId);

    public static IResult BadRequest(string message, string requestId) => Error(StatusCodes.Status400BadRequest, "Bad Request", message, requestId);

    private sealed class ErrorResult(int status, string code, string message, string requestId) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext)
        {
            httpContext.Response.StatusCode = status;
            httpContext.Response.Headers["dg-request-id"] = requestId;
            httpContext.Response.Headers["dg-error"] = message.Replace('\n', ' ');
            return httpContext.Response.WriteAsJsonAsync(new { err_code = code, err_msg = message, request_id = requestId });
        }
    }
}
