#!/usr/bin/perl
# The client git's diff driver and textconv commands run first (see src/drivers/server.ts and README.md here): it hands the request to
# nbpipe's resident server and prints the answer. Perl because it starts in a few milliseconds where node takes 50 or
# more, and git itself depends on it; it loads no module on its common path, since each costs a few milliseconds.
# Usage: driver-client.pl NODE SCRIPT KEY COMMAND ARG... (KEY names the server's socket: serverKey in src/drivers/server.ts)
# Exit 0: the answer was printed. Any other status: nothing was printed and the caller runs `NODE SCRIPT COMMAND ARG...`
# itself (75: no server was running, one is starting; 76: the server declined, the socket folder is not private to
# this user, or the client is switched off with NBPIPE_DRIVER_SERVER=0).
use strict;

my ($node, $script, $key, $command, @args) = @ARGV;
exit 76 if !defined $command || $key !~ /^\w+$/ || (defined $ENV{NBPIPE_DRIVER_SERVER} && $ENV{NBPIPE_DRIVER_SERVER} eq '0');

# The same path as serverSocketPath in src/drivers/server.ts.
my $base = defined $ENV{TMPDIR} && $ENV{TMPDIR} ne '' ? $ENV{TMPDIR} : '/tmp';
$base =~ s{/+$}{};
my $dir = "$base/nbpipe-$<";
my $socket_path = "$dir/drivers-$key.sock";
# Too long for a socket's address (MAX_SOCKET_PATH_BYTES there): a short path in /tmp, one per TMPDIR still.
if (length $socket_path > 90) {
    require Digest::SHA;
    my $tmpdir_key = substr(Digest::SHA::sha256_hex($dir), 0, 8);
    $dir = "/tmp/nbpipe-$<";
    $socket_path = "$dir/drivers-$key-$tmpdir_key.sock";
}

# Only a folder that is ours alone: anyone who can replace the socket could forge what git shows.
sub private_dir {
    my @st = lstat $dir or return 0;
    return -d _ && $st[4] == $< && ($st[2] & 077) == 0;
}

sub start_server {
    mkdir $dir, 0700;
    return unless private_dir();
    my $marker = "$socket_path.starting";
    my @marker = stat $marker;
    return if @marker && time - $marker[9] < 10;    # another client started one a moment ago
    open(my $fh, '>', $marker) or return;
    close $fh;
    my $pid = fork;
    return unless defined $pid;
    if ($pid == 0) {
        require POSIX;    # ~8 ms to load: only here
        POSIX::setsid();
        # Close what git let this process inherit (its pipes to a filter process, say): git waits for those to close.
        my @inherited = (3 .. 255);
        if (opendir(my $fds, -d '/proc/self/fd' ? '/proc/self/fd' : '/dev/fd')) {
            @inherited = grep { /^\d+$/ && $_ > 2 } readdir $fds;
            closedir $fds;
        }
        POSIX::close($_) for @inherited;
        chdir '/';
        open STDIN, '<', '/dev/null';
        open STDOUT, '>', '/dev/null';
        open STDERR, '>', '/dev/null';
        $ENV{NODE_EXTRA_CA_CERTS} = '';
        { no warnings 'exec'; exec { $node } $node, $script, 'serve-drivers', $script; }
        POSIX::_exit(1);
    }
}

exit 76 if -e $dir && !private_dir();
# Linux's AF_UNIX, SOCK_STREAM and struct sockaddr_un spelled out; the Socket module elsewhere.
my ($af_unix, $sock_stream, $address) = (1, 1, pack('S Z*', 1, $socket_path));
if ($^O ne 'linux') {
    require Socket;
    ($af_unix, $sock_stream, $address) = (Socket::AF_UNIX(), Socket::SOCK_STREAM(), Socket::pack_sockaddr_un($socket_path));
}
socket(my $socket, $af_unix, $sock_stream, 0) or exit 76;
if (!connect($socket, $address)) {
    start_server();
    exit 75;
}

# On Linux, the server's process (SO_PEERCRED): it must be this user's; and a server that has not answered within
# a minute is stuck: stop it and free its socket, so that the next file starts a fresh one instead of waiting too.
my ($server_pid, $server_uid) = $^O eq 'linux' ? unpack('i i', getsockopt($socket, 1, 17) // '') : ();
exit 76 if defined $server_uid && $server_uid != $<;
$SIG{ALRM} = sub {
    if ($server_pid) {
        kill 'KILL', $server_pid;
        unlink $socket_path;
    }
    exit 76;
};
alarm($ENV{NBPIPE_DRIVER_SERVER_TIMEOUT_SECONDS} || 60);

# The shell git starts sets PWD; trust it when it names this folder.
my $cwd = $ENV{PWD};
my @here = stat '.';
my @pwd = defined $cwd && $cwd =~ m{^/} ? stat $cwd : ();
if (!@pwd || $pwd[0] != $here[0] || $pwd[1] != $here[1]) {
    require Cwd;
    $cwd = Cwd::getcwd();
}
my @env = map { "$_=$ENV{$_}" } sort keys %ENV;
my $payload = join("\0", 'nbpipe-drivers/1', $script, $command, $cwd, (-t STDOUT ? 1 : 0), scalar(@env), @env, @args);
my $request = pack('N', length $payload) . $payload;
while (length $request) {
    my $sent = syswrite($socket, $request) or exit 76;
    substr($request, 0, $sent) = '';
}

sub read_exactly {
    my ($length) = @_;
    my $data = '';
    while (length $data < $length) {
        my $read = sysread($socket, $data, $length - length $data, length $data);
        exit 76 unless $read;
    }
    return $data;
}
my $reply = read_exactly(unpack('N', read_exactly(4)));
exit 76 unless substr($reply, 0, 3) eq "ok\n";
alarm 0;
binmode STDOUT;
print STDOUT substr($reply, 3) or exit 76;
close STDOUT or exit 76;
exit 0;
