# Weight norm
# written by curvtrack report: reads weight_norm.dat and writes weight_norm.svg and weight_norm.png.
# Restyle freely and regenerate with: gnuplot weight_norm.gp
set encoding utf8
set terminal svg size 860,500 dynamic noenhanced font 'Sans,12' background rgb 'white'
set output 'weight_norm.svg'
set datafile missing 'nan'
set title 'Weight norm'
set xlabel 'fraction of training (step / total steps)'
set ylabel '||w||'
set grid
set key below
set style fill transparent solid 0.18 noborder
plot 'weight_norm.dat' index 0 using 3:4 with lines lw 0.7 dt 1 lc rgb '#b01b9e77' notitle, \
     '' index 1 using 2:4:5 with filledcurves lc rgb '#1b9e77' notitle, \
     '' index 1 using 2:3 with lines lw 2 dt 1 lc rgb '#1b9e77' title 'constant_0.05: weight norm (mean of 10, band min-max)', \
     '' index 2 using 3:4 with lines lw 0.7 dt 1 lc rgb '#b0d95f02' notitle, \
     '' index 3 using 2:4:5 with filledcurves lc rgb '#d95f02' notitle, \
     '' index 3 using 2:3 with lines lw 2 dt 1 lc rgb '#d95f02' title 'constant_0.1: weight norm (mean of 10, band min-max)', \
     '' index 4 using 3:4 with lines lw 0.7 dt 1 lc rgb '#b07570b3' notitle, \
     '' index 5 using 2:4:5 with filledcurves lc rgb '#7570b3' notitle, \
     '' index 5 using 2:3 with lines lw 2 dt 1 lc rgb '#7570b3' title 'constant_0.1_wd: weight norm (mean of 10, band min-max)', \
     '' index 6 using 3:4 with lines lw 0.7 dt 1 lc rgb '#b0e7298a' notitle, \
     '' index 7 using 2:4:5 with filledcurves lc rgb '#e7298a' notitle, \
     '' index 7 using 2:3 with lines lw 2 dt 1 lc rgb '#e7298a' title 'constant_0.2: weight norm (mean of 10, band min-max)', \
     '' index 8 using 3:4 with lines lw 0.7 dt 1 lc rgb '#b066a61e' notitle, \
     '' index 9 using 2:4:5 with filledcurves lc rgb '#66a61e' notitle, \
     '' index 9 using 2:3 with lines lw 2 dt 1 lc rgb '#66a61e' title 'constant_0.4: weight norm (mean of 10, band min-max)', \
     '' index 10 using 3:4 with lines lw 0.7 dt 1 lc rgb '#b0e6ab02' notitle, \
     '' index 11 using 2:4:5 with filledcurves lc rgb '#e6ab02' notitle, \
     '' index 11 using 2:3 with lines lw 2 dt 1 lc rgb '#e6ab02' title 'onecycle_lstar: weight norm (mean of 10, band min-max)', \
     '' index 12 using 3:4 with lines lw 0.7 dt 1 lc rgb '#b0a6761d' notitle, \
     '' index 13 using 2:4:5 with filledcurves lc rgb '#a6761d' notitle, \
     '' index 13 using 2:3 with lines lw 2 dt 1 lc rgb '#a6761d' title 'onecycle_lstar_constmom: weight norm (mean of 10, band min-max)', \
     '' index 14 using 3:4 with lines lw 0.7 dt 1 lc rgb '#b0666666' notitle, \
     '' index 15 using 2:4:5 with filledcurves lc rgb '#666666' notitle, \
     '' index 15 using 2:3 with lines lw 2 dt 1 lc rgb '#666666' title 'onecycle_lstar_wd: weight norm (mean of 10, band min-max)'
set terminal pngcairo size 1000,580 noenhanced font 'Sans,10' background rgb 'white'
set output 'weight_norm.png'
replot
unset output
