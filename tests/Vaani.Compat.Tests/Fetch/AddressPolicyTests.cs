using System.Net;
using System.Net.Sockets;
using Vaani.Gateway.Compat;

namespace Vaani.Compat.Tests.Fetch;

public sealed class AddressPolicyTests
{
    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("10.1.2.3")]
    [InlineData("172.20.0.1")]
    [InlineData("192.168.1.1")]
    [InlineData("169.254.169.254")]
    [InlineData("100.64.0.1")]
    [InlineData("224.0.0.1")]
    [InlineData("0.0.0.0")]
    [InlineData("::1")]
    [InlineData("fe80::1")]
    [InlineData("fd00::1")]
    [InlineData("ff02::1")]
    [InlineData("::ffff:127.0.0.1")]
    public void IsAllowed_InternalAddress_False(string address) =>
        Assert.False(new AddressPolicy([]).IsAllowed(IPAddress.Parse(address)));

    [Theory]
    [InlineData("8.8.8.8")]
    [InlineData("2606:4700:4700::1111")]
    public void IsAllowed_PublicAddress_True(string address) =>
        Assert.True(new AddressPolicy([]).IsAllowed(IPAddress.Parse(address)));

    [Fact]
    public void IsAllowed_AllowListedLoopback_True() =>
        Assert.True(new AddressPolicy([IPNetwork.Parse("127.0.0.0/8")]).IsAllowed(IPAddress.Loopback));

    [Fact]
    public async Task ResolveAsync_Localhost_RefusedAsInternal()
    {
        var ex = await Assert.ThrowsAsync<FetchException>(() => new AddressPolicy([]).ResolveAsync("localhost", CancellationToken.None));
        Assert.Contains("internal address", ex.Message);
    }

    [Theory]
    [InlineData("file:///etc/passwd")]
    [InlineData("gopher://example.com/")]
    [InlineData("http://user:pass@example.com/a.wav")]
    [InlineData("not a url")]
    public void ValidateUrl_NotPlainHttp_Refused(string url) =>
        Assert.Throws<FetchException>(() => RemoteHttp.ValidateUrl(url, "url"));

    [Fact]
    public async Task FetchAsync_LoopbackWithoutAllowList_RefusedBeforeConnecting()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        using var http = new RemoteHttp(new CompatOptions());
        var ex = await Assert.ThrowsAsync<FetchException>(() => http.FetchAsync(new Uri($"http://127.0.0.1:{port}/a.wav"), CancellationToken.None));
        Assert.Contains("internal address", ex.Message);
        Assert.False(listener.Pending(), "no connection may reach the internal address");
    }

    [Fact]
    public async Task FetchAsync_BodyOverLimit_Refused()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var serve = Task.Run(async () =>
        {
            using var c = await listener.AcceptTcpClientAsync();
            var s = c.GetStream();
            var buffer = new byte[4096];
            _ = await s.ReadAsync(buffer);
            var header = "HTTP/1.1 200 OK\r\nContent-Length: 5000\r\nConnection: close\r\n\r\n"u8.ToArray();
            await s.WriteAsync(header);
            await s.WriteAsync(new byte[5000]);
        });
        using var http = new RemoteHttp(new CompatOptions { FetchAllowedNetworks = [IPNetwork.Parse("127.0.0.0/8")], MaxFetchBytes = 1000 });
        var ex = await Assert.ThrowsAsync<FetchException>(() => http.FetchAsync(new Uri($"http://127.0.0.1:{port}/a.wav"), CancellationToken.None));
        Assert.Contains("limit", ex.Message);
        await serve;
    }
}
