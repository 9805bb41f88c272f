using System.Net;
using System.Net.Sockets;
using System.Text;

namespace IncusBackup.Tests.Fakes;

/// <summary>
/// A loopback HTTP server that drops its first connections once it has read their request, for what HttpListener
/// cannot do: close a socket before any answer. It resets them (RST, SO_LINGER 0: the client reads "Connection reset
/// by peer") or closes them (FIN: "The response ended prematurely"), then answers every later request with an
/// Incus sync envelope whose metadata is an empty list. Each connection carries one request (Connection: close).
/// </summary>
public sealed class FakeDroppingServer : IDisposable
{
    private const string Answer = """{"type":"sync","status":"Success","status_code":200,"operation":"","error_code":0,"error":"","metadata":[]}""";

    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private readonly int _drops;
    private readonly bool _reset;
    private int _requests;

    /// <param name="drops">How many connections are dropped before the server answers.</param>
    /// <param name="reset">Reset the connection (RST) rather than close it (FIN).</param>
    public FakeDroppingServer(int drops, bool reset)
    {
        _drops = drops;
        _reset = reset;
        _listener.Start();
        BaseAddress = new Uri($"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}/");
        _loop = Task.Run(LoopAsync);
    }

    public Uri BaseAddress { get; }

    /// <summary>Requests read so far, dropped or answered.</summary>
    public int Requests => Volatile.Read(ref _requests);

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Stop();
        try
        {
            _loop.Wait(TimeSpan.FromSeconds(5));
        }
        catch (AggregateException)
        {
        }
        _stop.Dispose();
    }

    private async Task LoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await _listener.AcceptSocketAsync(_stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }
            using (socket)
            {
                try
                {
                    await ServeAsync(socket);
                }
                catch (Exception e) when (e is SocketException or IOException or OperationCanceledException)
                {
                    // The client went away.
                }
            }
        }
    }

    private async Task ServeAsync(Socket socket)
    {
        if (!await ReadRequestHeadAsync(socket)) return;
        if (Interlocked.Increment(ref _requests) <= _drops)
        {
            if (_reset) socket.LingerState = new LingerOption(true, 0);
            else socket.Shutdown(SocketShutdown.Both);
            socket.Close();
            return;
        }
        var body = Encoding.UTF8.GetBytes(Answer);
        var head = Encoding.ASCII.GetBytes(
            $"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {body.Length}\r\nConnection: close\r\n\r\n");
        await socket.SendAsync(head.Concat(body).ToArray(), SocketFlags.None, _stop.Token);
        socket.Shutdown(SocketShutdown.Send);
    }

    /// <summary>Reads up to the blank line that ends a bodiless request's head; false when the client left first.</summary>
    private async Task<bool> ReadRequestHeadAsync(Socket socket)
    {
        var received = new List<byte>();
        var buffer = new byte[4096];
        while (true)
        {
            var read = await socket.ReceiveAsync(buffer, SocketFlags.None, _stop.Token);
            if (read == 0) return false;
            received.AddRange(buffer.AsSpan(0, read));
            if (Encoding.ASCII.GetString(received.ToArray()).Contains("\r\n\r\n", StringComparison.Ordinal)) return true;
        }
    }
}
