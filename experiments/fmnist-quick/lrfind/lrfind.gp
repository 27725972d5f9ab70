# LR range test (curvtrack lrfind): smoothed training loss against the learning rate, with the
# suggestions marked. Regenerate the figures in this folder with: gnuplot lrfind.gp
set datafile separator ','
set datafile missing 'nan'
set logscale x
set format x '%.0e'
set xlabel 'learning rate'
set ylabel 'training loss (smoothed, debiased)'
set yrange [*:3.2126579162078577]
set grid
set key below
set title "LR range test (exp): smith -> 0.0398" noenhanced
set arrow from 0.039810717055349693, graph 0 to 0.039810717055349693, graph 1 nohead dt 1 lw 2 lc rgb '#e6ab02'
set label "smith 0.0398 (chosen)" at 0.039810717055349693, graph 0.95 offset 0.5,0 tc rgb '#e6ab02' noenhanced
set arrow from 0.0047863009232263802, graph 0 to 0.0047863009232263802, graph 1 nohead dt 2 lw 1 lc rgb '#1b9e77'
set label "minimum/10 0.00479" at 0.0047863009232263802, graph 0.89 offset 0.5,0 tc rgb '#1b9e77' noenhanced
set arrow from 0.022908676527677745, graph 0 to 0.022908676527677745, graph 1 nohead dt 2 lw 1 lc rgb '#d95f02'
set label "steep 0.0229" at 0.022908676527677745, graph 0.83 offset 0.5,0 tc rgb '#d95f02' noenhanced
set arrow from 0.0003981071705534973, graph 0 to 0.0003981071705534973, graph 1 nohead dt 2 lw 1 lc rgb '#7570b3'
set label "valley 0.000398" at 0.0003981071705534973, graph 0.77 offset 0.5,0 tc rgb '#7570b3' noenhanced
if (strstrt(GPVAL_TERMINALS, 'pngcairo') > 0) { set terminal pngcairo size 900,600 } else { set terminal png size 900,600 }
set output 'lrfind.png'
plot 'lrfind.csv' using 2:3 skip 1 with points pt 7 ps 0.3 lc rgb '#bbbbbb' title 'batch loss', \
     '' using 2:4 skip 1 with lines lw 2 lc rgb '#222222' title 'smoothed loss'
set terminal svg size 900,600 dynamic
set output 'lrfind.svg'
replot
set output
