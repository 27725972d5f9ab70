# Independent oracle for probe_indices (test_probe.cpp): MT19937-64 written from its published
# definition (checked by the C++ standard's 10000th-output value), then the same rejection-sampled
# partial Fisher-Yates. Run: python3 tests/data/probe_oracle.py
M=(1<<64)-1
class MT:
    def __init__(s,seed):
        s.mt=[0]*312; s.mt[0]=seed&M
        for i in range(1,312): s.mt[i]=(6364136223846793005*(s.mt[i-1]^(s.mt[i-1]>>62))+i)&M
        s.i=312
    def __call__(s):
        if s.i>=312:
            for k in range(312):
                x=(s.mt[k]&~((1<<31)-1)&M)|(s.mt[(k+1)%312]&((1<<31)-1))
                xa=x>>1
                if x&1: xa^=0xB5026F5AA96619E9
                s.mt[k]=s.mt[(k+156)%312]^xa
            s.i=0
        y=s.mt[s.i]; s.i+=1
        y^=(y>>29)&0x5555555555555555; y^=(y<<17)&0x71D67FFFEDA60000; y^=(y<<37)&0xFFF7EEE000000000; y^=y>>43
        return y&M
r=MT(5489)
for _ in range(9999): r()
assert r()==9981545732273789042
def probe(n,seed,size):
    r=MT(seed); idx=list(range(size))
    for i in range(n):
        b=size-i; lim=M-M%b
        d=r()
        while d>=lim: d=r()
        j=i+d%b; idx[i],idx[j]=idx[j],idx[i]
    return idx[:n]
print(probe(5,3,100), probe(8,12345,60000))
